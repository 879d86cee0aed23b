// Runs every file of tests/vectors/ against the uniffi Kotlin binding (package dev.waas), as
// bindings/tests/test_conformance.py does for Python. bindings/kotlin-test.sh compiles and runs it:
// `java ... ConformanceKt <repo>`; it prints one line per vector file and exits 1 on any failure.
// A vector file that no runner below knows fails the suite.
import dev.waas.*
import java.io.File
import kotlinx.serialization.json.*

var failures = 0
var checks = 0

fun check(ok: Boolean, what: () -> String) {
    checks++
    if (!ok) {
        failures++
        System.err.println("FAIL: " + what())
    }
}

fun expectCode(code: String, what: String, call: () -> Unit) {
    try {
        call()
        check(false) { "$what: no error, expected $code" }
    } catch (e: WaasException.Failed) {
        check(e.code == code) { "$what: ${e.code} (${e.detail}), expected $code" }
    }
}

val JsonElement.s: String get() = jsonPrimitive.content
val JsonElement.i: Long get() = jsonPrimitive.long
fun JsonObject.str(k: String): String? = this[k]?.takeIf { it !is JsonNull }?.s

fun runDerivation(f: JsonObject): Int {
    val cases = f["cases"]!!.jsonArray
    for (ce in cases) {
        val c = ce.jsonObject
        val chain = c["chain"]!!.s
        val xpub = c["xpub"]!!.s
        check(accountXpub(chain, c["mnemonic"]!!.s, c["passphrase"]!!.s, c["account"]!!.i) == xpub) { "account xpub $chain" }
        for (a in c["addresses"]!!.jsonArray) {
            val got = deriveAddress(chain, xpub, a.jsonObject["index"]!!.i)
            check(got == a.jsonObject["address"]!!.s) { "deriveAddress $chain: $got" }
        }
        val b = c["batch"]!!.jsonObject
        val start = b["start"]!!.i
        val count = b["count"]!!.i
        val batch = deriveAddresses(chain, xpub, start, count)
        check(batch.size.toLong() == b["count"]!!.i && batch.first() == b["first"]!!.s && batch.last() == b["last"]!!.s) { "deriveAddresses $chain" }
        val key = DepositKey(chain, xpub)
        check(key.deriveAddresses(start, count) == batch) { "DepositKey.deriveAddresses $chain" }
        check(key.deriveAddress(start) == batch.first()) { "DepositKey.deriveAddress $chain" }
    }
    val errors = f["errors"]!!.jsonArray
    for (ee in errors) {
        val e = ee.jsonObject
        val what = e["what"]!!.s
        val idx = e["index"] ?: e["start"]
        val n = idx!!.jsonPrimitive.long
        if (e.containsKey("count")) {
            expectCode(e["code"]!!.s, what) { deriveAddresses(e["chain"]!!.s, e["xpub"]!!.s, n, e["count"]!!.i) }
        } else {
            expectCode(e["code"]!!.s, what) { deriveAddress(e["chain"]!!.s, e["xpub"]!!.s, n) }
        }
    }
    return cases.size + errors.size
}

fun runAddresses(f: JsonObject): Int {
    for (v in f["valid"]!!.jsonArray.map { it.jsonObject }) {
        val got = canonicalAddress(v["chain"]!!.s, v["input"]!!.s)
        check(got == v["canonical"]!!.s) { "canonicalAddress $v: $got" }
    }
    for (v in f["invalid"]!!.jsonArray.map { it.jsonObject }) {
        expectCode(v["code"]!!.s, "canonicalAddress $v") { canonicalAddress(v["chain"]!!.s, v["input"]!!.s) }
    }
    return f["valid"]!!.jsonArray.size + f["invalid"]!!.jsonArray.size
}

fun runAmounts(f: JsonObject): Int {
    for (v in f["to_base_units"]!!.jsonArray.map { it.jsonObject }) {
        check(toBaseUnits(v["amount"]!!.s, v["decimals"]!!.i) == v["units"]!!.s) { "toBaseUnits $v" }
    }
    for (v in f["from_base_units"]!!.jsonArray.map { it.jsonObject }) {
        check(fromBaseUnits(v["units"]!!.s, v["decimals"]!!.i) == v["amount"]!!.s) { "fromBaseUnits $v" }
    }
    var n = f["to_base_units"]!!.jsonArray.size + f["from_base_units"]!!.jsonArray.size
    for (v in f["errors"]!!.jsonArray.map { it.jsonObject }) {
        val d = v["decimals"]!!.i
        val input = v["input"]!!.s
        when (v["op"]!!.s) {
            "toBaseUnits" -> expectCode(v["code"]!!.s, "toBaseUnits $v") { toBaseUnits(input, d) }
            else -> expectCode(v["code"]!!.s, "fromBaseUnits $v") { fromBaseUnits(input, d) }
        }
        n++
    }
    return n
}

fun runJournal(f: JsonObject): Int {
    val cases = f["cases"]!!.jsonArray.map { it.jsonObject }
    for (c in cases) {
        val want = c["expected"]!!.jsonObject
        val name = c["name"]!!.s
        val ok = want.str("ok")
        if (ok != null) {
            check(verifyJournal(c["jsonl"]!!.s) == ok) { "journal $name" }
        } else {
            try {
                verifyJournal(c["jsonl"]!!.s)
                check(false) { "journal $name: no error" }
            } catch (e: WaasException.Failed) {
                check(e.code == want["error"]!!.s) { "journal $name: ${e.code}" }
                check(e.detail.startsWith("line ${want["line"]!!.s}:")) { "journal $name: ${e.detail}" }
            }
        }
    }
    return cases.size
}

fun runBip32(f: JsonObject): Int {
    var n = 0
    for (v in f["vectors"]!!.jsonArray) {
        for (c in v.jsonObject["chains"]!!.jsonArray.map { it.jsonObject }) {
            val single = deriveAddress("ethereum", c["xpub"]!!.s, 0)
            check(deriveAddresses("ethereum", c["xpub"]!!.s, 0, 1) == listOf(single)) { "bip32 batch" }
            expectCode("INVALID_KEY", "xprv refused") { deriveAddress("ethereum", c["xprv"]!!.s, 0) }
            n++
        }
    }
    check(n == 14) { "bip32: $n chains, expected 14" }
    return n
}

fun runBip39(f: JsonObject): Int {
    val vectors = f["vectors"]!!.jsonArray
    for (v in vectors) {
        check(accountXpub("ethereum", v.jsonObject["mnemonic"]!!.s, f["passphrase"]!!.s, 0).startsWith("xpub")) { "bip39" }
    }
    expectCode("INVALID_MNEMONIC", "bad checksum") { accountXpub("ethereum", List(12) { "abandon" }.joinToString(" "), "", 0) }
    return vectors.size
}

fun hex(s: String): ByteArray = ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

fun plain(ts: String) = ts.all { it.isDigit() } && ts.isNotEmpty() && (ts == "0" || !ts.startsWith("0")) && ts.length <= 18

fun runWebhooks(f: JsonObject): Int {
    for (c in f["verify"]!!.jsonArray.map { it.jsonObject }) {
        val name = c["name"]!!.s
        val ok = c["expected"]!!.jsonObject["result"]!!.s == "valid"
        val body = c.str("body_hex")?.let { hex(it) } ?: c["body"]!!.s.toByteArray()
        val tolerance = c["tolerance"]?.i ?: 300L
        val calls = mutableListOf<() -> Unit>({
            WebhookVerifier(listOf(c["secret"]!!.s), tolerance)
                .verify(c["id"]!!.s, c["timestamp"]!!.s, body, c["signature"]!!.s, c["now"]!!.i)
        })
        if (plain(c["timestamp"]!!.s) && c.containsKey("body") && !c.containsKey("tolerance")) {
            calls.add {
                verifyWebhook(c["secret"]!!.s, c["id"]!!.s, c["timestamp"]!!.s.toLong(), c["body"]!!.s, c["signature"]!!.s, c["now"]!!.i)
            }
        }
        for (call in calls) {
            if (ok) {
                try {
                    call(); check(true) { "" }
                } catch (e: WaasException.Failed) {
                    check(false) { "verify $name: ${e.code} ${e.detail}" }
                }
            } else {
                expectCode(c["expected"]!!.jsonObject["code"]!!.s, "verify $name", call)
            }
        }
    }
    for (c in f["sign"]!!.jsonArray.map { it.jsonObject }) {
        val got = signWebhook(c["secret"]!!.s, c["id"]!!.s, c["timestamp"]!!.s.toLong(), c["body"]!!.s)
        check(got == c["expected_signature"]!!.s) { "sign ${c["id"]}: $got" }
    }
    for (c in f["envelopes"]!!.jsonArray.map { it.jsonObject }) {
        val name = c["name"]!!.s
        val text = c.str("input_text") ?: c["input"]!!.toString()
        val lenient = c["mode"]!!.s == "lenient"
        val expected = c["expected"]!!.jsonObject
        if (expected["result"]!!.s == "valid") {
            val got = checkEnvelope(text, lenient)
            check(got == expected["normalized"]!!.s) { "envelope $name: $got" }
        } else {
            try {
                checkEnvelope(text, lenient)
                check(false) { "envelope $name: accepted" }
            } catch (e: WaasException.Failed) {
                check(e.code == expected["code"]!!.s && e.detail.startsWith(expected["field"]!!.s)) { "envelope $name: ${e.code} ${e.detail}" }
            }
        }
    }
    return f["verify"]!!.jsonArray.size + f["sign"]!!.jsonArray.size + f["envelopes"]!!.jsonArray.size
}

fun lines(text: String): List<JsonElement> = text.split("\n").filter { it.isNotEmpty() }.map { Json.parseToJsonElement(it) }

fun runScenarios(folder: File): Int {
    val names = folder.list()!!.filter { it.endsWith(".jsonl") && !it.endsWith(".expected.jsonl") }.sorted()
    check(names.isNotEmpty()) { "no scenario in $folder" }
    for (name in names) {
        val text = File(folder, name).readText()
        val got = lines(replayLedger(text))
        val want = lines(File(folder, name.removeSuffix(".jsonl") + ".expected.jsonl").readText())
        check(got == want) { "scenario $name differs" }
        // reserveReport is the state line's reserves alone
        val reserves = want.last().jsonObject["state"]!!.jsonObject["reserves"]
        check(Json.parseToJsonElement(reserveReport(text)) == reserves) { "reserveReport $name differs" }
    }
    return names.size
}

fun runTransactions(f: JsonObject): Int {
    var signed = 0
    for (t in f["transactions"]!!.jsonArray.map { it.jsonObject }) {
        val chain = t.str("chain") ?: continue
        val to = t.str("to") ?: continue
        val tx = signTransaction(chain, t["private_key"]!!.s, t["nonce"]!!.s, to, t["gas_limit"]!!.s,
            t.str("value"), t.str("data"), t.str("gas_price"), t.str("max_fee_per_gas"), t.str("max_priority_fee_per_gas"))
        val exp = t["expected"]!!.jsonObject
        check(tx.raw == exp["raw"]!!.s && tx.hash == exp["hash"]!!.s) { "signTransaction ${t["name"]}" }
        signed++
    }
    check(signed >= 70) { "only $signed transactions signed" }
    for (e in f["erc20_transfers"]!!.jsonArray.map { it.jsonObject }) {
        check(erc20TransferData(e["to"]!!.s, e["amount"]!!.s) == e["expected"]!!.s) { "erc20 ${e["to"]}" }
    }
    expectCode("INVALID_ARGUMENT", "no fee given") {
        signTransaction("ethereum", "0x" + "46".repeat(32), "1", "0x3535353535353535353535353535353535353535", "21000", null, null, null, null, null)
    }
    return signed
}

fun main(args: Array<String>) {
    val vectors = File(args.getOrElse(0) { "." }, "tests/vectors")
    for (name in vectors.list()!!.sorted()) {
        if (name == "tools" || name.endsWith(".py")) continue
        val file = File(vectors, name)
        val before = failures
        val n = try {
            val json = { Json.parseToJsonElement(file.readText()).jsonObject }
            when (name) {
                "derivation.json" -> runDerivation(json())
                "addresses.json" -> runAddresses(json())
                "amounts.json" -> runAmounts(json())
                "journal.json" -> runJournal(json())
                "bip32.json" -> runBip32(json())
                "bip39.json" -> runBip39(json())
                "webhooks.json" -> runWebhooks(json())
                "transactions.json" -> runTransactions(json())
                "ledger", "automation" -> runScenarios(file)
                else -> { check(false) { "no runner knows tests/vectors/$name: add one to every suite" }; 0 }
            }
        } catch (e: Exception) {
            check(false) { "$name: ${e::class.simpleName}: ${e.message}" }
            0
        }
        check(n > 0) { "$name: no case ran" }
        println("${if (failures == before) "ok" else "FAILED"} $name: $n cases")
    }
    // Errors carry the core's code and message.
    try {
        canonicalAddress("ethereum", "0x123")
        check(false) { "0x123 accepted" }
    } catch (e: WaasException.Failed) {
        check(e.code == "INVALID_ADDRESS" && e.detail.contains("40 hex digits")) { "error translation: $e" }
        check(e.kind() == ErrorCode.INVALID_ADDRESS) { "error kind: ${e.kind()}" }
    }
    // Integers cross as Long: out of range, the same coded errors as in JavaScript and Python.
    val xpub = "xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr"
    for (index in listOf(-1L, 1L shl 32, 1L shl 31)) {
        expectCode("INVALID_INDEX", "index $index") { deriveAddress("ethereum", xpub, index) }
    }
    expectCode("INVALID_ARGUMENT", "count -1") { deriveAddresses("ethereum", xpub, 0, -1) }
    expectCode("INVALID_AMOUNT", "decimals 256") { toBaseUnits("1", 256) }
    expectCode("INVALID_AMOUNT", "decimals -1") { fromBaseUnits("1", -1) }
    expectCode("INVALID_ARGUMENT", "tolerance -1") { WebhookVerifier(listOf("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), -1) }
    val k = newApiKey("live")
    check(k.key.startsWith("waas_live_") && hashApiKey(k.key) == k.hash) { "newApiKey/hashApiKey" }
    println("kotlin conformance: $checks checks, $failures failed")
    if (failures > 0) kotlin.system.exitProcess(1)
}
