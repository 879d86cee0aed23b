// The waas-wasm package's web build, served beside the page (wasm/): the dashboard's local
// computations (journal audit, address derivation) run in it, never on the server.
let loaded;
/** The package, loaded and instantiated once. */
export function waas() {
    loaded ??= (async () => {
        const url = new URL('./wasm/index.js', import.meta.url).href;
        const mod = (await import(url));
        await mod.default();
        return mod;
    })();
    return loaded;
}
