//! The operator dashboard at `/dashboard/`: the static files of `examples/dashboard/dist`,
//! embedded in the binary at build time (no CDN, nothing built at run time). The page signs in
//! with an API key typed by the operator and reads everything through the public API; its
//! checks run in the browser (waas-wasm).

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file: its name under `/dashboard/`, its media type and its bytes.
struct Asset {
    name: &'static str,
    media_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($($name:literal => $media_type:literal),* $(,)?) => {
        &[$(Asset {
            name: $name,
            media_type: $media_type,
            bytes: include_bytes!(concat!("../../../dashboard/dist/", $name)),
        }),*]
    };
}

/// Every file of the dashboard's build (`examples/dashboard/build.sh` writes them).
const ASSETS: &[Asset] = assets![
    "index.html" => "text/html; charset=utf-8",
    "tools.html" => "text/html; charset=utf-8",
    "dashboard.css" => "text/css; charset=utf-8",
    "tools.css" => "text/css; charset=utf-8",
    "main.js" => "text/javascript; charset=utf-8",
    "activity.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "chart.js" => "text/javascript; charset=utf-8",
    "format.js" => "text/javascript; charset=utf-8",
    "reserves.js" => "text/javascript; charset=utf-8",
    "statement.js" => "text/javascript; charset=utf-8",
    "tools.js" => "text/javascript; charset=utf-8",
    "types.js" => "text/javascript; charset=utf-8",
    "ui.js" => "text/javascript; charset=utf-8",
    "verify.js" => "text/javascript; charset=utf-8",
    "waas.js" => "text/javascript; charset=utf-8",
    "wallets.js" => "text/javascript; charset=utf-8",
    "wasm/index.js" => "text/javascript; charset=utf-8",
    "wasm/waas_wasm.js" => "text/javascript; charset=utf-8",
    "wasm/waas_wasm_bg.wasm" => "application/wasm",
];

/// What the page may load and run: its own files and the API of this host, WebAssembly
/// compiled from its own module, nothing inline, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; \
    frame-ancestors 'none'; base-uri 'none'";

/// The dashboard's routes (no key needed: the files are public, the data is behind the API).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/dashboard",
            get(|| async { Redirect::permanent("/dashboard/") }),
        )
        .route("/dashboard/", get(|| async { answer("index.html") }))
        .route(
            "/dashboard/{*file}",
            get(|Path(file): Path<String>| async move { answer(&file) }),
        )
}

/// The embedded file `name`, or a 404 in the API's envelope.
fn answer(name: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return super::error::ApiError::not_found("no such file of the dashboard").into_response();
    };
    let mut response = (StatusCode::OK, asset.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.media_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_file_is_embedded() {
        let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dashboard/dist");
        let mut built = Vec::new();
        for dir in [dist.clone(), dist.join("wasm")] {
            for entry in std::fs::read_dir(&dir).expect("dist is there") {
                let path = entry.expect("entry").path();
                if path.is_file() {
                    let rel = path.strip_prefix(&dist).expect("under dist");
                    built.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        built.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.name.to_owned()).collect();
        embedded.sort();
        assert_eq!(built, embedded, "examples/dashboard/dist and ASSETS differ");
    }

    #[test]
    fn unknown_files_are_404_and_known_ones_typed() {
        assert_eq!(answer("../Cargo.toml").status(), StatusCode::NOT_FOUND);
        assert_eq!(answer("nope.js").status(), StatusCode::NOT_FOUND);
        let r = answer("wasm/waas_wasm_bg.wasm");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/wasm");
    }
}
