#!/usr/bin/env python3
"""Computes the test vectors of docs/wire-format.md independently of the Java implementation.

Written from docs/wire-format.md alone, on the Python `cryptography` package (AES, AES-GCM, AES-SIV, AES-GCM-SIV;
version 42 or later for AES-GCM-SIV). It writes the JSON files under core/src/test/resources/vectors/ that
WireFormatVectorTest checks the implementation, and the page, against:

    python3 core/src/test/python/wire_format_vectors.py
"""
import hashlib
import json
import pathlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESGCMSIV, AESSIV

OUT = pathlib.Path(__file__).resolve().parents[1] / "resources" / "vectors"


def seq(first, count):
    return bytes((first + i) & 0xFF for i in range(count))


def aes_ecb(key, data):
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def fingerprint(name):
    return hashlib.sha256(name.encode()).digest()[:4]


def binding(topic, alias):
    t, a = topic.encode(), alias.encode()
    return bytes([len(t)]) + t + len(a).to_bytes(2, "big") + a


def trace_binary(traceparent):
    _, trace_id, parent_id, flags = traceparent.split("-")
    return bytes.fromhex(trace_id) + bytes.fromhex(parent_id) + bytes.fromhex(flags)


def protected_digest(headers):
    sha = hashlib.sha256()
    for name, value in headers:
        n = name.encode()
        sha.update(len(n).to_bytes(2, "big") + n + (1).to_bytes(4, "big"))
        v = value.encode()
        sha.update(len(v).to_bytes(4, "big") + v)
    return sha.digest()


def iv_v2(counter):
    return bytes(4) + counter.to_bytes(8, "big")


# ---- wrapped data keys of the built-in providers ----

def check_value(kek):
    return aes_ecb(kek, b"ciphertrail-kcv1")[:8]


def format3(kek, nonce):
    dek = aes_ecb(kek, nonce + b"\x44\x03" + nonce + b"\x44\x04")
    return b"\x03" + check_value(kek)[:4] + nonce, dek


def format2(kek, alias, version, iv, dek):
    aad = b"ciphertrail edek v2\x00" + alias.encode() + b"\x00" + str(version).encode()
    return b"\x02" + check_value(kek) + iv + AESGCM(kek).encrypt(iv, dek, aad)


def format1(kek, alias, version, iv, dek):
    aad = b"ciphertrail edek v1\x00" + alias.encode() + b"\x00" + str(version).encode()
    return iv + AESGCM(kek).encrypt(iv, dek, aad)


def derived_key(kek, alias, version, purpose):
    digest = hashlib.sha256(b"ciphertrail derived key v1\x00" + alias.encode() + b"\x00" + str(version).encode()
                            + b"\x00" + purpose.encode()).digest()
    return aes_ecb(kek, digest[:15] + b"\x01" + digest[:15] + b"\x02")


# ---- envelopes and delete proofs, version 2 ----

def envelope_v2(topic, alias, kek_version, edek, dek, counter, plaintext, traceparent=None, protected=(), header_name=None):
    flags = (1 if traceparent else 0) | (2 if protected else 0) | (4 if header_name else 0)
    header = b"\xc7\x54\x02" + bytes([flags]) + fingerprint(topic) + fingerprint(alias) + varint(kek_version)
    header += varint(len(edek)) + edek
    if traceparent:
        header += trace_binary(traceparent)
    if protected:
        header += bytes([len(protected)])
        for name, _ in protected:
            header += bytes([len(name.encode())]) + name.encode()
        header += protected_digest(protected)
    header += varint(counter)
    aad = header + binding(topic, alias)
    if header_name:
        aad += bytes([len(header_name.encode())]) + header_name.encode()
    return header + AESGCM(dek).encrypt(iv_v2(counter), plaintext, aad)


def delete_proof_v2(topic, alias, kek_version, edek, dek, counter, record_key, traceparent=None):
    flags = (1 if traceparent else 0) | (2 if record_key is not None else 0)
    header = b"\xc7\x44\x02" + bytes([flags]) + fingerprint(topic) + fingerprint(alias) + varint(kek_version)
    header += varint(len(edek)) + edek
    if traceparent:
        header += trace_binary(traceparent)
    if record_key is not None:
        header += hashlib.sha256(record_key).digest()
    header += varint(counter)
    return header + AESGCM(dek).encrypt(iv_v2(counter), b"", header + binding(topic, alias))


# ---- record keys ----

def record_key_aad(version, topic, alias, kek_version):
    t, a = topic.encode(), alias.encode()
    return (f"ciphertrail record key v{version}".encode() + len(t).to_bytes(2, "big") + t + len(a).to_bytes(2, "big") + a
            + kek_version.to_bytes(4, "big"))


def record_key_v2(kek, topic, alias, kek_version, key):
    siv_key = derived_key(kek, alias, kek_version, "record-key-siv-s2v") + derived_key(kek, alias, kek_version, "record-key-siv-ctr")
    sealed = AESSIV(siv_key).encrypt(key, [record_key_aad(2, topic, alias, kek_version)])
    return siv_key, b"\xc7\x4b\x02" + kek_version.to_bytes(4, "big") + sealed


def record_key_v1(kek, topic, alias, kek_version, key):
    gcm_siv_key = derived_key(kek, alias, kek_version, "record-key")
    sealed = AESGCMSIV(gcm_siv_key).encrypt(bytes(12), key, record_key_aad(1, topic, alias, kek_version))
    return gcm_siv_key, b"\xc7\x4b\x01" + kek_version.to_bytes(4, "big") + sealed


def main():
    hexed = lambda b: b.hex()
    orders_kek = seq(0xC0, 32)
    payments_kek = seq(0x80, 32)
    record_key_kek = seq(0xE0, 32)
    orders = ("orders", "ciphertrail/topic/orders", 1)
    payments = ("payments", "ciphertrail/topic/payments", 2)

    wrapped = []
    orders_edek, orders_dek = format3(orders_kek, seq(0x10, 14))
    wrapped.append({"name": "format-3", "kekAlias": orders[1], "kekVersion": orders[2], "kek": hexed(orders_kek),
                    "checkValue": hexed(check_value(orders_kek)), "nonce": hexed(seq(0x10, 14)),
                    "dek": hexed(orders_dek), "wrapped": hexed(orders_edek)})
    payments_edek, payments_dek = format3(payments_kek, seq(0x50, 14))
    wrapped.append({"name": "format-3-payments", "kekAlias": payments[1], "kekVersion": payments[2], "kek": hexed(payments_kek),
                    "checkValue": hexed(check_value(payments_kek)), "nonce": hexed(seq(0x50, 14)),
                    "dek": hexed(payments_dek), "wrapped": hexed(payments_edek)})
    dek2 = seq(0x40, 32)
    wrapped.append({"name": "format-2", "kekAlias": orders[1], "kekVersion": orders[2], "kek": hexed(orders_kek),
                    "checkValue": hexed(check_value(orders_kek)), "iv": hexed(seq(0x20, 12)), "dek": hexed(dek2),
                    "wrapped": hexed(format2(orders_kek, orders[1], orders[2], seq(0x20, 12), dek2))})
    dek1 = seq(0x60, 32)
    wrapped.append({"name": "format-1", "kekAlias": orders[1], "kekVersion": orders[2], "kek": hexed(orders_kek),
                    "iv": hexed(seq(0x30, 12)), "dek": hexed(dek1),
                    "wrapped": hexed(format1(orders_kek, orders[1], orders[2], seq(0x30, 12), dek1))})

    def envelope_vector(name, scope, kek, edek, dek, counter, plaintext, traceparent=None, protected=(), header_name=None):
        topic, alias, version = scope
        vector = {"name": name, "topic": topic, "kekAlias": alias, "kekVersion": version, "kek": hexed(kek),
                  "edek": hexed(edek), "dek": hexed(dek), "counter": counter, "traceparent": traceparent,
                  "protectedHeaders": [{"name": n, "value": v} for n, v in protected], "headerName": header_name,
                  "plaintext": plaintext}
        vector["envelope"] = hexed(envelope_v2(topic, alias, version, edek, dek, counter, plaintext.encode(), traceparent,
                                               list(protected), header_name))
        return vector

    envelopes = [
        envelope_vector("v2-minimal", orders, orders_kek, orders_edek, orders_dek, 0, ""),
        envelope_vector("v2-traced", orders, orders_kek, orders_edek, orders_dek, 1, "hello, ciphertrail",
                        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        envelope_vector("v2-traced-protected", payments, payments_kek, payments_edek, payments_dek, 300, "{\"amount\":42}",
                        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", [("tenant", "acme")]),
        envelope_vector("v2-header-value", orders, orders_kek, orders_edek, orders_dek, 7, "a@example.com",
                        header_name="customer-email"),
    ]

    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    proofs = [{"name": "v2-delete-traced", "topic": orders[0], "kekAlias": orders[1], "kekVersion": orders[2],
               "kek": hexed(orders_kek), "edek": hexed(orders_edek), "dek": hexed(orders_dek), "counter": 8,
               "traceparent": traceparent, "recordKey": "customer-42",
               "proof": hexed(delete_proof_v2(orders[0], orders[1], orders[2], orders_edek, orders_dek, 8, b"customer-42",
                                              traceparent))}]

    record_keys = []
    alias = "ciphertrail/topic/orders/record-key"
    siv_key, sealed = record_key_v2(record_key_kek, "orders", alias, 1, b"customer-42")
    record_keys.append({"name": "record-key-v2-from-kek", "topic": "orders", "kekAlias": alias, "kekVersion": 1,
                        "kek": hexed(record_key_kek), "key": hexed(siv_key), "recordKey": "customer-42", "encrypted": hexed(sealed)})
    gcm_siv_key, sealed = record_key_v1(record_key_kek, "orders", alias, 1, b"customer-42")
    record_keys.append({"name": "record-key-v1-from-kek", "topic": "orders", "kekAlias": alias, "kekVersion": 1,
                        "kek": hexed(record_key_kek), "key": hexed(gcm_siv_key), "recordKey": "customer-42", "encrypted": hexed(sealed)})

    rejections = rejection_vectors({v["name"]: v for v in envelopes})

    for file, content in [("wrapped-keys.json", wrapped), ("envelope-v2.json", envelopes), ("delete-proof-v2.json", proofs),
                          ("record-keys.json", record_keys), ("envelope-v2-rejections.json", rejections)]:
        (OUT / file).write_text(json.dumps(content, indent=2) + "\n")
        print("wrote", OUT / file)


def rejection_vectors(envelopes):
    """Envelopes (or readings of them) a decoder must refuse, each with the one reason it must give.

    Offsets in the traced vector: flags 3, KEK fingerprint 8..11, KEK version 12, wrapped key length 13, wrapped key
    14..32 (format 3: its check value 15..18, nonce 19..32), trace-id 33..48, parent-id 49..56, IV counter 58."""
    traced = bytes.fromhex(envelopes["v2-traced"]["envelope"])
    other_trace = "00-11111111111111111111111111111111-00f067aa0ba902b7-01"

    def changed(at, replacement, length=1):
        return traced[:at] + replacement + traced[at + length:]

    def flipped(at, mask=0x01):
        return changed(at, bytes([traced[at] ^ mask]))

    def vector(name, change, reason, envelope, base="v2-traced", topic=None, traceparent=None, header_name=None,
               protected=None):
        source = envelopes[base]
        return {"name": name, "base": base, "change": change, "topic": topic or source["topic"],
                "traceparent": traceparent if traceparent is not None else source["traceparent"],
                "protectedHeaders": protected if protected is not None else source["protectedHeaders"],
                "headerName": header_name, "envelope": envelope.hex(), "reason": reason}

    protected = envelopes["v2-traced-protected"]
    return [
        vector("reject-no-magic", "a value that does not start with the magic", "NOT_ENCRYPTED", b'{"order":1}'),
        vector("reject-version-3", "version byte 03", "UNSUPPORTED_VERSION", changed(2, b"\x03")),
        vector("reject-unknown-flag", "flag bit 3 set", "MALFORMED", changed(3, bytes([traced[3] | 0x08]))),
        vector("reject-header-value-flag", "flag bit 2 (HEADER_VALUE) set on a record value", "MALFORMED",
               changed(3, bytes([traced[3] | 0x04]))),
        vector("reject-kek-version-zero", "KEK version 0", "MALFORMED", changed(12, b"\x00")),
        vector("reject-kek-version-not-shortest", "KEK version 1 written as the two-byte varint 81 00", "MALFORMED",
               changed(12, b"\x81\x00")),
        vector("reject-wrapped-key-empty", "wrapped key length 0, the 19 wrapped-key bytes removed", "MALFORMED",
               changed(13, b"\x00", 20)),
        vector("reject-zero-trace-id", "trace-id all zeros", "MALFORMED", changed(33, bytes(16), 16)),
        vector("reject-zero-parent-id", "parent-id all zeros", "MALFORMED", changed(49, bytes(8), 8)),
        vector("reject-counter-not-shortest", "IV counter 1 written as the two-byte varint 81 00", "MALFORMED",
               changed(58, b"\x81\x00")),
        vector("reject-counter-out-of-range", "IV counter 2^32 (the five-byte varint 80 80 80 80 10)", "MALFORMED",
               changed(58, b"\x80\x80\x80\x80\x10")),
        vector("reject-cut-off", "cut to 15 bytes after the IV counter", "MALFORMED", traced[:59 + 15]),
        vector("reject-wrong-topic", "read from topic payments", "WRONG_TOPIC", traced, topic="payments"),
        vector("reject-wrong-kek", "last bit of the KEK fingerprint flipped", "WRONG_KEK", flipped(11)),
        vector("reject-trace-mismatch", "the record's traceparent header names another trace-id", "TRACE_MISMATCH",
               traced, traceparent=other_trace),
        vector("reject-traceparent-malformed", "the record's traceparent header is not a traceparent", "TRACE_MISMATCH",
               traced, traceparent="00-4bf92f3577b34da6"),
        vector("reject-protected-header-edited", "the protected header tenant valued acme2", "PROTECTED_HEADER_MISMATCH",
               bytes.fromhex(protected["envelope"]), base="v2-traced-protected",
               protected=[{"name": "tenant", "value": "acme2"}]),
        vector("reject-kek-mismatch", "first byte of the wrapped key's check value flipped", "KEK_MISMATCH", flipped(15)),
        vector("reject-nonce-altered", "last byte of the wrapped key's nonce flipped", "TAMPERED", flipped(32)),
        vector("reject-trace-flags-altered", "trace-flags 01 changed to 00", "TAMPERED", changed(57, b"\x00"),
               traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
        vector("reject-ciphertext-altered", "last bit of the tag flipped", "TAMPERED", flipped(len(traced) - 1)),
        vector("reject-header-value-moved", "read as the value of header customer-phone", "TAMPERED",
               bytes.fromhex(envelopes["v2-header-value"]["envelope"]), base="v2-header-value", header_name="customer-phone"),
        vector("reject-value-as-header-value", "a record value's envelope read as the value of header customer-email",
               "TAMPERED", traced, header_name="customer-email"),
    ]


if __name__ == "__main__":
    main()
