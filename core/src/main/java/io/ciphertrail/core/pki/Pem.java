package io.ciphertrail.core.pki;

import io.ciphertrail.core.io.SecureFiles;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * PEM files: certificate chains, PKCS#8 private keys (written owner-only) and PKCS#10 requests,
 * in the form OpenSSL, Kafka's {@code ssl.keystore.type=PEM} and librdkafka all read.
 */
public final class Pem {

    private Pem() {
    }

    public static String encodeCertificates(List<X509Certificate> certificates) {
        return encode(certificates.toArray());
    }

    /** PKCS#8 {@code PRIVATE KEY}, unencrypted: protect the file, not the text. */
    public static String encodePrivateKey(PrivateKey key) {
        try {
            return encode(new JcaPKCS8Generator(key, null).generate());
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new PkiException("Cannot encode a " + key.getAlgorithm() + " private key as PKCS#8", e);
        }
    }

    public static String encodeCsr(PKCS10CertificationRequest csr) {
        return encode(csr);
    }

    public static void writeCertificates(Path file, List<X509Certificate> certificates) {
        SecureFiles.writePublic(file, encodeCertificates(certificates).getBytes(StandardCharsets.US_ASCII));
    }

    public static void writePrivateKey(Path file, PrivateKey key) {
        SecureFiles.writeOwnerOnly(file, encodePrivateKey(key).getBytes(StandardCharsets.US_ASCII));
    }

    /** Writes {@code <base>.crt} (chain) and {@code <base>.key} (owner-only PKCS#8 key). */
    public static void write(Path directory, String baseName, IssuedCertificate issued) {
        writeCertificates(directory.resolve(baseName + ".crt"), issued.chain());
        writePrivateKey(directory.resolve(baseName + ".key"), issued.privateKey());
    }

    public static List<X509Certificate> readCertificates(Path file) {
        return decodeCertificates(read(file), file.toString());
    }

    public static List<X509Certificate> decodeCertificates(String pem, String origin) {
        List<X509Certificate> certificates = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
                if (item instanceof X509CertificateHolder holder) {
                    certificates.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException e) {
            throw new PkiException("Cannot read certificates from " + origin + ": " + e.getMessage(), e);
        }
        if (certificates.isEmpty()) {
            throw new PkiException("No PEM certificate (-----BEGIN CERTIFICATE-----) found in " + origin);
        }
        return certificates;
    }

    /** Reads a private key; the file must be readable by its owner only. */
    public static PrivateKey readPrivateKey(Path file) {
        SecureFiles.requireOwnerOnly(file);
        try (PEMParser parser = new PEMParser(reader(file))) {
            Object item = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (item instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (item instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            throw new PkiException("No unencrypted private key (-----BEGIN PRIVATE KEY-----) found in " + file);
        } catch (IOException e) {
            throw new PkiException("Cannot read the private key in " + file + " (its content is not shown)", e);
        }
    }

    public static IssuedCertificate read(Path directory, String baseName) {
        return new IssuedCertificate(readPrivateKey(directory.resolve(baseName + ".key")),
                readCertificates(directory.resolve(baseName + ".crt")));
    }

    public static PKCS10CertificationRequest decodeCsr(String pem, String origin) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object item = parser.readObject();
            if (item instanceof PKCS10CertificationRequest csr) {
                return csr;
            }
        } catch (IOException e) {
            throw new PkiException("Cannot read a certificate signing request from " + origin + ": " + e.getMessage(), e);
        }
        throw new PkiException("No PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----) found in " + origin);
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Reader reader(Path file) {
        return new StringReader(read(file));
    }

    private static String encode(Object... objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object object : objects) {
                writer.writeObject(object);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
