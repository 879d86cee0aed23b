//! `cargo run -p uniffi-bindgen -- generate --library target/release/libwaas_ffi.so --language python --out-dir DIR`

fn main() {
    uniffi::uniffi_bindgen_main()
}
