// waas from Swift (iOS/macOS): add target/bindings/swift/Waas.swift to your target, and
// WaasFFI.h + WaasFFI.modulemap with the static library (libwaas_ffi.a) or an XCFramework.
import Waas

let xpub = "xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr"
do {
    print("deposit address 0:", try deriveAddress(chain: "ethereum", xpub: xpub, index: 0))
    let key = try DepositKey(chain: "tron", xpub: xpub)
    print("tron addresses 0..2:", try key.deriveAddresses(start: 0, count: 3).joined(separator: " "))
    print("12.5 USDT in base units:", try toBaseUnits(amount: "12.5", decimals: 6))
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let body = #"{"operation":"VIRTUAL_WALLET","sub_operation":"DEPOSIT","operation_id":"op-1","status":"SUCCESS","data":{}}"#
    let signature = try signWebhook(secret: secret, id: "msg_1", timestamp: 1_700_000_000, body: body)
    try verifyWebhook(secret: secret, id: "msg_1", timestamp: 1_700_000_000, body: body,
                      signatureHeader: signature, nowSeconds: 1_700_000_005) // throws if invalid
    print("normalized envelope:", try checkEnvelope(json: body, lenient: false))
    _ = try canonicalAddress(chain: "ethereum", address: "0x123")
} catch let error as WaasError {
    if case let .Failed(code, detail) = error, error.kind() == .invalidAddress {
        print("refused:", code, detail) // INVALID_ADDRESS
    } else {
        print("unexpected:", error)
    }
} catch {
    print("unexpected:", error)
}
