// The waas-wasm package's web build, served beside the page (wasm/): the dashboard's local
// computations (journal audit, address derivation) run in it, never on the server.

import type * as Waas from 'waas-wasm';

export type WaasModule = typeof Waas;

let loaded: Promise<WaasModule> | undefined;

/** The package, loaded and instantiated once. */
export function waas(): Promise<WaasModule> {
  loaded ??= (async () => {
    const url = new URL('./wasm/index.js', import.meta.url).href;
    const mod = (await import(url)) as WaasModule;
    await mod.default();
    return mod;
  })();
  return loaded;
}
