// waas from Kotlin (JVM or Android): add target/bindings/kotlin/dev/waas/waas.kt to your sources,
// JNA (net.java.dev.jna:jna) to your dependencies, and libwaas_ffi (.so/.dylib) to jna.library.path.
import dev.waas.*

fun main() {
    val xpub = "xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr"
    println("deposit address 0: " + deriveAddress("ethereum", xpub, 0))
    DepositKey("tron", xpub).use { key ->
        println("tron addresses 0..2: " + key.deriveAddresses(0, 3).joinToString(" "))
    }
    println("12.5 USDT in base units: " + toBaseUnits("12.5", 6))
    val secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    val body = """{"operation":"VIRTUAL_WALLET","sub_operation":"DEPOSIT","operation_id":"op-1","status":"SUCCESS","data":{}}"""
    val signature = signWebhook(secret, "msg_1", 1700000000L, body)
    verifyWebhook(secret, "msg_1", 1700000000L, body, signature, 1700000005L) // throws if invalid
    println("normalized envelope: " + checkEnvelope(body, false))
    try {
        canonicalAddress("ethereum", "0x123")
    } catch (e: WaasException.Failed) {
        check(e.kind() == ErrorCode.INVALID_ADDRESS) // the same code, typed
        println("refused: ${e.code}") // INVALID_ADDRESS
    }
}
