package io.ciphertrail.core.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

/** AES-SIV against RFC 5297's own test vectors (Appendix A), and its failure on any change. */
class AesSivTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] hex(String text) {
        return HEX.parseHex(text.replace(" ", ""));
    }

    @Test
    void rfc5297DeterministicVector() throws AEADBadTagException {
        AesSiv siv = new AesSiv(hex("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff"));
        byte[] ad = hex("10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627");
        byte[] plaintext = hex("11223344 55667788 99aabbcc ddee");

        byte[] sealed = siv.encrypt(plaintext, ad);

        assertThat(HEX.formatHex(sealed)).isEqualTo("85632d07c6e8f37f950acd320a2ecc93" + "40c02b9690c4dc04daef7f6afe5c");
        assertThat(siv.decrypt(sealed, ad)).isEqualTo(plaintext);
    }

    @Test
    void rfc5297NonceBasedVectorWithSeveralAssociatedDataComponents() throws AEADBadTagException {
        AesSiv siv = new AesSiv(hex("7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f"));
        byte[] ad1 = hex("00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 77665544 33221100");
        byte[] ad2 = hex("10203040 50607080 90a0");
        byte[] nonce = hex("09f91102 9d74e35b d84156c5 635688c0");
        byte[] plaintext = hex("74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727970"
                + " 74207573 696e6720 5349562d 414553");

        byte[] sealed = siv.encrypt(plaintext, ad1, ad2, nonce);

        assertThat(HEX.formatHex(sealed)).isEqualTo("7bdb6e3b432667eb06f4d14bff2fbd0f"
                + "cb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d");
        assertThat(siv.decrypt(sealed, ad1, ad2, nonce)).isEqualTo(plaintext);
    }

    @Test
    void recordKeyVersion2VectorOfTheWireFormatPage() throws Exception {
        byte[] key = new byte[64];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) i;
        }
        // associated data assembled by hand from docs/wire-format.md
        java.io.ByteArrayOutputStream aad = new java.io.ByteArrayOutputStream();
        aad.writeBytes("ciphertrail record key v2".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (String part : new String[] {"orders", "ciphertrail/topic/orders/record-key"}) {
            aad.write(part.length() >>> 8);
            aad.write(part.length());
            aad.writeBytes(part.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        aad.writeBytes(new byte[] {0, 0, 0, 1});
        String encrypted = "c74b0200000001" + HEX.formatHex(new AesSiv(key).encrypt(
                "customer-42".getBytes(java.nio.charset.StandardCharsets.UTF_8), aad.toByteArray()));

        assertThat(encrypted).isEqualTo("c74b0200000001c921f1270bd01affd1bc777877221c95d45107716936a07ef6b01c");
        java.nio.file.Path here = java.nio.file.Path.of("").toAbsolutePath();
        java.nio.file.Path page = java.nio.file.Files.exists(here.resolve("docs/wire-format.md"))
                ? here.resolve("docs/wire-format.md") : here.getParent().resolve("docs/wire-format.md");
        String docs = java.nio.file.Files.readString(page).replaceAll("\\s+", "");
        assertThat(docs).contains(encrypted).contains(HEX.formatHex(aad.toByteArray()));
    }

    @Test
    void everyLengthRoundTripsWithAes256AndEveryBitFlipFails() throws AEADBadTagException {
        Random random = new Random(5297);
        byte[] key = new byte[64];
        random.nextBytes(key);
        AesSiv siv = new AesSiv(key);
        AesSiv.Bound bound = siv.bind("topic".getBytes());
        for (int length = 0; length <= 70; length++) {
            byte[] plaintext = new byte[length];
            random.nextBytes(plaintext);
            byte[] sealed = bound.encrypt(plaintext);
            assertThat(sealed).hasSize(16 + length).isEqualTo(siv.encrypt(plaintext, "topic".getBytes()));
            assertThat(bound.encrypt(plaintext)).as("deterministic").isEqualTo(sealed);
            assertThat(bound.decrypt(sealed, 0, sealed.length)).isEqualTo(plaintext);
            for (int bit = 0; bit < sealed.length * 8; bit += 5) {
                byte[] flipped = sealed.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                assertThatThrownBy(() -> bound.decrypt(flipped, 0, flipped.length)).isInstanceOf(AEADBadTagException.class);
            }
            assertThatThrownBy(() -> siv.decrypt(sealed, "other".getBytes())).isInstanceOf(AEADBadTagException.class);
        }
    }
}
