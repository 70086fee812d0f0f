package io.ciphertrail.core.pki;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority for a Ciphertrail deployment: it issues broker certificates and short-lived
 * workload certificates, and signs workload CSRs so workload keys never leave the workload.
 *
 * <p>On disk a CA is two PEM files in one directory: {@code ca.crt} (public) and {@code ca.key}
 * (owner-only). {@link #toString()} never shows the key.
 */
public final class CertificateAuthority {
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(3650);
    public static final String CERTIFICATE_FILE = "ca.crt";
    public static final String KEY_FILE = "ca.key";

    /** Certificates start a minute in the past so small clock differences between hosts do not reject them. */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    /** The provider that holds the key (a PKCS#11 token's), or null for the JDK's defaults. */
    private final Provider provider;

    private CertificateAuthority(X509Certificate certificate, PrivateKey privateKey, Provider provider) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.provider = provider;
    }

    /** A new self-signed EC P-256 CA valid for ten years. */
    public static CertificateAuthority create(String name) {
        return create(name, KeyAlgorithm.EC_P256, DEFAULT_VALIDITY);
    }

    public static CertificateAuthority create(String name, KeyAlgorithm algorithm, Duration validity) {
        KeyPair keyPair = algorithm.generateKeyPair();
        return new CertificateAuthority(selfSigned(name, keyPair, algorithm, validity, null), keyPair.getPrivate(), null);
    }

    /**
     * A new CA whose EC P-256 key is generated inside a PKCS#11 token (sensitive, never extractable) and stored there
     * with its self-signed certificate under {@code label}. Refuses to replace a key the token already holds under it.
     */
    public static CertificateAuthority createInToken(Pkcs11Token token, String label, String name, Duration validity) {
        if (token.contains(label)) {
            throw new PkiException("The " + token + " already holds a key labelled '" + label + "'; choose another label"
                    + " (a CA key is never replaced in place: certificates it issued would stop validating)");
        }
        KeyPair keyPair = token.generateEcKeyPair();
        token.store(label, keyPair.getPrivate(), selfSigned(name, keyPair, KeyAlgorithm.EC_P256, validity, token.provider()));
        return inToken(token, label);
    }

    private static X509Certificate selfSigned(String name, KeyPair keyPair, KeyAlgorithm algorithm, Duration validity, Provider provider) {
        Names.requireIdentity(name);
        X500Name subject = Names.of(name);
        Instant notBefore = Instant.now().minus(CLOCK_SKEW);
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(notBefore), Date.from(notBefore.plus(validity)), subject, keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keyPair.getPublic()));
            return sign(builder, keyPair.getPrivate(), algorithm, provider);
        } catch (CertIOException | java.security.NoSuchAlgorithmException e) {
            throw new PkiException("Cannot create CA " + name + ": " + e.getMessage(), e);
        }
    }

    /** The CA whose key and certificate a PKCS#11 token holds under {@code label}; signing happens in the token. */
    public static CertificateAuthority inToken(Pkcs11Token token, String label) {
        Pkcs11Token.Entry entry = token.entry(label);
        return new CertificateAuthority(entry.certificate(), entry.privateKey(), token.provider());
    }

    /** Loads {@code ca.crt} and {@code ca.key} from a directory written by {@link #save(Path)}. */
    public static CertificateAuthority load(Path directory) {
        Path certificateFile = directory.resolve(CERTIFICATE_FILE);
        Path keyFile = directory.resolve(KEY_FILE);
        if (!Files.isRegularFile(certificateFile) || !Files.isRegularFile(keyFile)) {
            throw new PkiException("No CA in " + directory.toAbsolutePath() + ": expected " + CERTIFICATE_FILE
                    + " and " + KEY_FILE + ". Create one with 'ciphertrail certs init-ca'");
        }
        return new CertificateAuthority(Pem.readCertificates(certificateFile).get(0), Pem.readPrivateKey(keyFile), null);
    }

    /** Loads the CA in {@code directory}, creating and saving a new one there if there is none. */
    public static CertificateAuthority loadOrCreate(Path directory, String name) {
        if (Files.exists(directory.resolve(CERTIFICATE_FILE))) {
            return load(directory);
        }
        CertificateAuthority ca = create(name);
        ca.save(directory);
        return ca;
    }

    /** Writes {@code ca.crt} and the owner-only {@code ca.key}; a CA whose key lives in a token writes only its certificate. */
    public void save(Path directory) {
        Pem.writeCertificates(directory.resolve(CERTIFICATE_FILE), List.of(certificate));
        if (provider == null) {
            Pem.writePrivateKey(directory.resolve(KEY_FILE), privateKey);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Issues a certificate with a fresh key pair generated here. */
    public IssuedCertificate issue(CertificateSpec spec) {
        KeyPair keyPair = spec.keyAlgorithm().generateKeyPair();
        return new IssuedCertificate(keyPair.getPrivate(), List.of(certify(keyPair.getPublic(), spec), certificate));
    }

    public IssuedCertificate issueBroker(String commonName, List<String> dnsNames, List<String> ipAddresses) {
        return issue(CertificateSpec.broker(commonName).dnsNames(dnsNames).ipAddresses(ipAddresses));
    }

    public IssuedCertificate issueWorkload(String identity) {
        return issue(CertificateSpec.workload(identity));
    }

    /**
     * Signs a CSR after {@link CertificateSigningRequest#check() checking} it: the certificate carries the workload's own
     * public key; subject, names, profile and validity come from {@code spec}, whose common name must be the one the
     * CSR asks for, so a caller cannot be handed a certificate for an identity it did not request.
     *
     * @throws CsrRefusedException if the request breaks a rule (weak key, no proof of possession, ...)
     */
    public X509Certificate signCsr(CertificateSigningRequest csr, CertificateSpec spec) {
        RequestedCertificate requested = csr.check();
        if (!requested.commonName().equals(spec.commonName())) {
            throw new PkiException("The certificate request asks for CN=" + requested.commonName()
                    + " but is being signed for " + spec.commonName() + "; sign it for the identity it requests");
        }
        return certify(requested.publicKey(), spec);
    }

    /** Signs a checked request exactly as it asks (subject and alternative names), as a workload certificate. */
    public X509Certificate signCsr(CertificateSigningRequest csr) {
        return signAsRequested(csr, CertificateProfile.WORKLOAD, CertificateProfile.WORKLOAD.defaultValidity());
    }

    /**
     * Signs a request keeping its subject and subject alternative names exactly as asked, with the given profile and
     * validity; a request the rules refuse is refused with the reason, never signed with something else.
     */
    public X509Certificate signAsRequested(CertificateSigningRequest csr, CertificateProfile profile, Duration validity) {
        RequestedCertificate requested = csr.check();
        return certify(requested.publicKey(), requested.asRequested(profile).validity(validity));
    }

    /** Signs {@code data} with the CA key (in its token, if it lives in one): for records only the CA may vouch for. */
    public byte[] signData(byte[] data) {
        try {
            Signature signature = provider == null ? Signature.getInstance(KeyAlgorithm.of(certificate.getPublicKey()).signatureAlgorithm())
                    : Signature.getInstance(KeyAlgorithm.of(certificate.getPublicKey()).signatureAlgorithm(), provider);
            signature.initSign(privateKey);
            signature.update(data);
            return signature.sign();
        } catch (GeneralSecurityException e) {
            throw new PkiException("The CA key cannot sign: " + e.getMessage(), e);
        }
    }

    /** Whether {@code signature} over {@code data} was made by the key of {@code ca}. */
    public static boolean verifyData(X509Certificate ca, byte[] data, byte[] signature) {
        try {
            Signature verifier = Signature.getInstance(KeyAlgorithm.of(ca.getPublicKey()).signatureAlgorithm());
            verifier.initVerify(ca.getPublicKey());
            verifier.update(data);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | PkiException e) {
            return false;
        }
    }

    private X509Certificate certify(PublicKey publicKey, CertificateSpec spec) {
        // Back-dated against clock skew between hosts, by a minute at most and never more than a tenth of the life.
        Duration skew = spec.validity().dividedBy(10).compareTo(CLOCK_SKEW) < 0 ? spec.validity().dividedBy(10) : CLOCK_SKEW;
        Instant notBefore = spec.notBefore().orElseGet(() -> Instant.now().minus(skew));
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(notBefore), Date.from(notBefore.plus(spec.validity())), Names.of(spec.subject()), publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, keyUsage(publicKey))
                    .addExtension(Extension.extendedKeyUsage, false, extendedKeyUsage(spec.profile()))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(publicKey))
                    .addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(certificate));
            GeneralNames sans = subjectAlternativeNames(spec);
            if (sans != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, sans);
            }
            return sign(builder, privateKey, KeyAlgorithm.of(certificate.getPublicKey()), provider);
        } catch (CertIOException | CertificateException | java.security.NoSuchAlgorithmException e) {
            throw new PkiException("Cannot issue a certificate for " + spec.commonName() + ": " + e.getMessage(), e);
        }
    }

    private static KeyUsage keyUsage(PublicKey key) {
        // RSA key exchange in TLS 1.2 needs keyEncipherment; EC keys only sign.
        return key.getAlgorithm().equals("RSA")
                ? new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment)
                : new KeyUsage(KeyUsage.digitalSignature);
    }

    private static ExtendedKeyUsage extendedKeyUsage(CertificateProfile profile) {
        return switch (profile) {
            case BROKER -> new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
            case WORKLOAD -> new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth);
        };
    }

    private static GeneralNames subjectAlternativeNames(CertificateSpec spec) {
        List<GeneralName> names = new ArrayList<>();
        spec.dnsNames().forEach(dns -> names.add(new GeneralName(GeneralName.dNSName, dns)));
        spec.uris().forEach(uri -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
        for (String ip : spec.ipAddresses()) {
            requireIpLiteral(ip);
            names.add(new GeneralName(GeneralName.iPAddress, ip));
        }
        return names.isEmpty() ? null : new GeneralNames(names.toArray(new GeneralName[0]));
    }

    private static void requireIpLiteral(String ip) {
        boolean literal = ip.matches("[0-9.]+") || ip.contains(":");
        try {
            if (literal) {
                InetAddress.getByName(ip);
                return;
            }
        } catch (UnknownHostException e) {
            // fall through to the error below
        }
        throw new PkiException("'" + ip + "' is not an IP address; put host names in the DNS names instead");
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey, KeyAlgorithm algorithm, Provider provider) {
        try {
            JcaContentSignerBuilder signer = new JcaContentSignerBuilder(algorithm.signatureAlgorithm());
            if (provider != null) {
                signer.setProvider(provider);
            }
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer.build(signingKey)));
        } catch (OperatorCreationException | CertificateException e) {
            throw new PkiException("Cannot sign a certificate: " + e.getMessage(), e);
        }
    }

    /** 159 random bits: unpredictable (CA/B Forum asks for at least 64) and always positive. */
    private static BigInteger serial() {
        return new BigInteger(159, RANDOM);
    }

    @Override
    public String toString() {
        return "CertificateAuthority[" + CertificateInfo.of(certificate).subject() + (provider == null ? "" : ", key in a PKCS#11 token") + "]";
    }
}
