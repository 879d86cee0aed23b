// TypeScript against the waas-wasm package: typed results and an error whose code narrows.
// bindings/test.sh checks it with `tsc --strict --noEmit` (as CommonJS through `require`'s types,
// and as an ES module through `import`'s).
import init, { checkEnvelope, deriveAddresses, isWaasError, replayLedger, reserveReport, toBaseUnits, WebhookVerifier } from 'waas-wasm';
import type { Envelope, ErrorCode, ReplayResult, Reserve, ReserveReport } from 'waas-wasm';

export async function main(): Promise<void> {
  await init();
  const addresses: string[] = deriveAddresses('ethereum', 'xpub...', 0, 3);

  const scenario = '{"op":"create_account","client":"c1","account":"a1"}';
  const replay: ReplayResult = replayLedger(scenario);
  for (const answer of replay.results) {
    if (!answer.ok) {
      const code: ErrorCode = answer.code; // narrowed by `ok`
      console.log(code, answer.message);
    }
  }
  const balance: string | undefined = replay.state.wallets['vw1']?.balances['USDT']?.total;
  const reports: ReserveReport = reserveReport(scenario);
  const first: Reserve | undefined = Object.values(reports)[0];
  const ratio: number | null = first?.ratio == null ? null : Number(first.ratio);

  const envelope: Envelope = checkEnvelope('{}', false);
  const failed: boolean = envelope.status === 'FAILED' && envelope.reason !== undefined;

  try {
    toBaseUnits('1.1234567', 6);
  } catch (e) {
    if (isWaasError(e)) {
      switch (e.code) {
        case 'INVALID_AMOUNT':
          console.log('too many decimals');
          break;
        case 'INVALID_ARGUMENT':
          break;
        default: {
          const other: ErrorCode = e.code;
          console.log(other);
        }
      }
      // @ts-expect-error: not a code of the core
      if (e.code === 'NOT_A_CODE') console.log('unreachable');
    }
  }
  const verifier = new WebhookVerifier(['whsec_...'], 300);
  verifier.verify('msg_1', 1700000000, new Uint8Array(0), 'v1,...', 1700000001);
  console.log(addresses, balance, ratio, failed);
}
