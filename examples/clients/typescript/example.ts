// The host's API through TypeScript types generated from its own /openapi.json
// (openapi-typescript), checked by `tsc --strict` and run with Node's fetch as a dashboard or a
// backend would. Run by examples/reference-host/api-contract.sh against a live host:
//
//     WAAS_URL=http://127.0.0.1:8080 WAAS_API_KEY=... node example.js
import type { components, operations, paths } from "./api.js";

type Schemas = components["schemas"];
/** The JSON a successful operation answers, by its operationId and status. */
type Answer<Op extends keyof operations, Status extends keyof operations[Op]["responses"]> =
  operations[Op]["responses"][Status] extends { content: { "application/json": infer T } } ? T : never;
/** The request body an operation takes. */
type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody?: { content: { "application/json": infer T } };
}
  ? T
  : never;
// The routes are the document's: a path that is not in it does not compile.
const accountsPath: keyof paths = "/v1/accounts";

const base = process.env.WAAS_URL ?? "http://127.0.0.1:8080";
const key = process.env.WAAS_API_KEY ?? "";

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(base + path, {
    method,
    headers: { "X-API-Key": key, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as T };
}

async function main(): Promise<void> {
  const create: Body<"accounts.create"> = { name: "alice" };
  // The generated types are real: each marked line below must fail to compile, or tsc reports
  // the unused directive.
  // @ts-expect-error: an account needs a name
  const nameless: Body<"accounts.create"> = {};
  // @ts-expect-error: a name is a string
  const numbered: Body<"accounts.create"> = { name: 5 };
  void nameless;
  void numbered;
  const made = await call<Answer<"accounts.create", 201>>("POST", accountsPath, create);
  if (made.status !== 201 || made.json.name !== "alice") throw new Error(`create: ${made.status}`);

  const page = await call<Schemas["Listed_AccountOut"]>("GET", "/v1/accounts?limit=500");
  const ids: string[] = page.json.data.map((a: Schemas["AccountOut"]) => a.id);
  if (!ids.includes(made.json.id)) throw new Error("the new account is not listed");

  const missing = await call<Schemas["ErrorBody"]>("GET", "/v1/accounts/acc_nope");
  const code: Schemas["ErrorDetail"]["code"] = missing.json.error.code;
  if (missing.status !== 404 || code !== "NOT_FOUND") throw new Error(`missing: ${code}`);

  const tokens = await call<Schemas["Tokens"]>("GET", "/v1/tokens?blockchain=ethereum");
  const usdt = tokens.json.tokens.find((t: Schemas["TokenOut"]) => t.symbol === "USDT");
  if (usdt?.decimals !== 6) throw new Error("USDT has 6 decimals");
  // A deposit address, a (simulated) deposit confirmed, a transfer, the balances after.
  const wallets: Answer<"virtual_wallets.create", 201>[] = [];
  for (let i = 0; i < 2; i++) {
    const body: Body<"virtual_wallets.create"> = { account_id: made.json.id, blockchain: "ethereum" };
    const w = await call<Answer<"virtual_wallets.create", 201>>("POST", "/v1/wallets/virtual", body);
    if (w.status !== 201 || !w.json.address.startsWith("0x")) throw new Error(`wallet: ${w.status}`);
    wallets.push(w.json);
  }
  const [from, to] = wallets;
  const deposit: Body<"simulate.deposit"> = { address: from.address, token: "USDT", amount: "25", tx: "ts-example-1" };
  await call<Answer<"simulate.deposit", 201>>("POST", "/v1/simulate/deposit", deposit);
  const confirm: Body<"simulate.confirm"> = { tx: "ts-example-1" };
  await call<Answer<"simulate.confirm", 200>>("POST", "/v1/simulate/confirm", confirm);
  const transfer: Body<"virtual_wallets.transfer"> = { to_wallet_id: to.id, token: "USDT", amount: "10" };
  const moved = await call<Answer<"virtual_wallets.transfer", 201>>("POST", `/v1/wallets/virtual/${from.id}/transfer`, transfer);
  if (moved.status !== 201) throw new Error(`transfer: ${moved.status}`);
  const balance = await call<Answer<"virtual_wallets.balance", 200>>("GET", `/v1/wallets/virtual/${to.id}/balance`);
  const held: Schemas["BalanceOut"] | undefined = balance.json.balances["USDT"];
  if (held?.available !== "10") throw new Error(`balance: ${JSON.stringify(balance.json)}`);
  console.log(
    `typescript client: account ${made.json.id}, ${tokens.json.tokens.length} ethereum tokens, 25 USDT deposited and 10 moved (${moved.json.id}), typed answers`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
