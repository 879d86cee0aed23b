//! OpenAPI schema names: utoipa keeps one schema per name, so every type of the host that derives
//! `ToSchema` has a name of its own (a scan of the sources; the served document itself is checked
//! in-process by tests/api/openapi.rs, and the routes by tests/api/catalog.rs).

#![allow(clippy::unwrap_used)]

/// utoipa keeps one schema per name, silently: two answer types of one name would document one
/// shape for both. Every type that derives (or implements) `ToSchema` has a name of its own.
#[test]
fn schema_names_are_unique() {
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sources(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut twice = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut deriving = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                deriving = true;
            }
            let named = if let Some(rest) = line.strip_prefix("impl ToSchema for ") {
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
            } else if deriving && (line.contains("struct ") || line.contains("enum ")) {
                deriving = false;
                line.split_whitespace()
                    .skip_while(|w| *w != "struct" && *w != "enum")
                    .nth(1)
                    .map(|n| n.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_'))
            } else {
                None
            };
            if let Some(name) = named {
                let name = name.split('<').next().unwrap().to_owned();
                let at = file.display().to_string();
                if let Some(first) = seen.insert(name.clone(), at.clone()) {
                    twice.push(format!("{name}: {first} and {at}"));
                }
            }
        }
    }
    assert!(seen.len() > 100, "found only {} schema types", seen.len());
    assert!(
        twice.is_empty(),
        "schema names used twice:\n{}",
        twice.join("\n")
    );
}
