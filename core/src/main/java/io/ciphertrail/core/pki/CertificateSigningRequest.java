package io.ciphertrail.core.pki;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A PKCS#10 certificate signing request: how a workload gets a certificate without its private key
 * ever leaving it. The workload creates the key pair and the request; the CA signs only the public key.
 *
 * <p>{@link #check()} is the one set of rules every Ciphertrail CA applies to a request before signing it
 * ({@code ciphertrail certs sign-csr} and the trust service's CA endpoint alike): proof of possession, a key
 * of adequate strength, one common name, and only names and extensions the CA can certify as asked.
 */
public final class CertificateSigningRequest {
    /** RSA keys below this many bits are refused (NIST SP 800-131A disallows them for signatures since 2013). */
    public static final int MIN_RSA_BITS = 2048;
    /** Larger RSA keys are refused too: they buy nothing and make every handshake slow. */
    public static final int MAX_RSA_BITS = 8192;
    /** The EC curves a request may use, by OID: the ones every TLS stack Kafka clients run on supports. */
    private static final Map<ASN1ObjectIdentifier, String> CURVES = Map.of(
            new ASN1ObjectIdentifier("1.2.840.10045.3.1.7"), "P-256",
            new ASN1ObjectIdentifier("1.3.132.0.34"), "P-384",
            new ASN1ObjectIdentifier("1.3.132.0.35"), "P-521");
    private final JcaPKCS10CertificationRequest csr;

    private CertificateSigningRequest(PKCS10CertificationRequest csr) {
        this.csr = new JcaPKCS10CertificationRequest(csr);
    }

    /** Creates a request for {@code identity} signed with the workload's own key pair. */
    public static CertificateSigningRequest create(KeyPair keyPair, String identity) {
        Names.requireIdentity(identity);
        try {
            ContentSigner signer = new JcaContentSignerBuilder(KeyAlgorithm.of(keyPair.getPublic()).signatureAlgorithm())
                    .build(keyPair.getPrivate());
            return new CertificateSigningRequest(
                    new JcaPKCS10CertificationRequestBuilder(Names.of(identity), keyPair.getPublic()).build(signer));
        } catch (OperatorCreationException e) {
            throw new PkiException("Cannot sign a certificate request for " + identity + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates a request for {@code subject} with the given subject alternative names (any list may be empty),
     * signed with the workload's own key pair.
     */
    public static CertificateSigningRequest create(KeyPair keyPair, X500Principal subject, List<String> dnsNames,
                                                   List<String> ipAddresses, List<String> uris) {
        try {
            ContentSigner signer = new JcaContentSignerBuilder(KeyAlgorithm.of(keyPair.getPublic()).signatureAlgorithm())
                    .build(keyPair.getPrivate());
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(
                    X500Name.getInstance(subject.getEncoded()), keyPair.getPublic());
            List<GeneralName> names = new ArrayList<>();
            dnsNames.forEach(dns -> names.add(new GeneralName(GeneralName.dNSName, dns)));
            ipAddresses.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
            uris.forEach(uri -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
            if (!names.isEmpty()) {
                ExtensionsGenerator extensions = new ExtensionsGenerator();
                extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
                builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            }
            return new CertificateSigningRequest(builder.build(signer));
        } catch (OperatorCreationException | IOException e) {
            throw new PkiException("Cannot sign a certificate request for " + subject.getName() + ": " + e.getMessage(), e);
        }
    }

    /** Reads a PEM request; anything else is refused as {@link CsrRefusedException.Reason#MALFORMED}. */
    public static CertificateSigningRequest parse(String pem, String origin) {
        try {
            return new CertificateSigningRequest(Pem.decodeCsr(pem, origin));
        } catch (PkiException | IllegalArgumentException e) {
            throw new CsrRefusedException(CsrRefusedException.Reason.MALFORMED, e.getMessage());
        }
    }

    public static CertificateSigningRequest read(Path file) {
        return parse(Pem.read(file), file.toString());
    }

    /** The requested subject, RFC 2253, in the order Kafka shows it. */
    public String subject() {
        try {
            return new X500Principal(csr.getSubject().getEncoded()).getName();
        } catch (java.io.IOException e) {
            throw new PkiException("The certificate request's subject cannot be encoded", e);
        }
    }

    public String commonName() {
        return CertificateInfo.commonName(subject());
    }

    public PublicKey publicKey() {
        try {
            // The converter maps key algorithm OIDs to JCA names; the JDK has no KeyFactory registered under the EC OID.
            return new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
        } catch (java.io.IOException e) {
            throw new CsrRefusedException(CsrRefusedException.Reason.MALFORMED, "The certificate request for " + subject()
                    + " carries an unreadable public key");
        }
    }

    /** Checks the request was signed by the private key matching its public key (proof of possession). */
    public void verify() {
        boolean valid;
        try {
            valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey()));
        } catch (OperatorCreationException | PKCSException e) {
            throw new CsrRefusedException(CsrRefusedException.Reason.MALFORMED, "Cannot verify the certificate request for "
                    + subject() + ": " + e.getMessage());
        }
        if (!valid) {
            throw new CsrRefusedException(CsrRefusedException.Reason.INVALID_SIGNATURE, "The certificate request for " + subject()
                    + " has an invalid signature: it was not signed by the key it asks to certify");
        }
    }

    /**
     * Checks the request against the rules every Ciphertrail CA applies and returns what it asks for.
     *
     * @throws CsrRefusedException naming the rule broken and what the request asked for
     */
    public RequestedCertificate check() {
        String keyDescription = checkKey(csr.getSubjectPublicKeyInfo());
        verify();
        X500Principal subject = subjectPrincipal();
        String commonName = singleCommonName(subject);
        List<String> dns = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        List<String> uris = new ArrayList<>();
        for (Attribute attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            for (ASN1Encodable value : attribute.getAttributeValues()) {
                Extensions extensions = Extensions.getInstance(value);
                for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
                    if (!oid.equals(Extension.subjectAlternativeName)) {
                        throw new CsrRefusedException(CsrRefusedException.Reason.UNSUPPORTED_EXTENSION, "The certificate request for "
                                + subject.getName() + " asks for extension " + extensionName(oid) + "; the CA sets key usage, extended key"
                                + " usage and basic constraints itself. Make the request with subject alternative names only");
                    }
                    names(subject, GeneralNames.getInstance(extensions.getExtension(oid).getParsedValue()), dns, ips, uris);
                }
            }
        }
        return new RequestedCertificate(subject, commonName, dns, ips, uris, publicKey(), keyDescription);
    }

    /**
     * The key's kind and size as a person reads it ({@code EC P-256}, {@code RSA 1024}, {@code EC curve 1.3.132.0.10}),
     * whether or not the CA accepts it: what an audit event of a refused request records.
     */
    public String keyDescription() {
        SubjectPublicKeyInfo key = csr.getSubjectPublicKeyInfo();
        ASN1ObjectIdentifier algorithm = key.getAlgorithm().getAlgorithm();
        if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            try {
                return "RSA " + RSAPublicKey.getInstance(key.parsePublicKey()).getModulus().bitLength();
            } catch (IOException | IllegalArgumentException e) {
                return "RSA (unreadable)";
            }
        }
        if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            ASN1Encodable parameters = key.getAlgorithm().getParameters();
            if (parameters instanceof ASN1ObjectIdentifier oid) {
                return CURVES.containsKey(oid) ? "EC " + CURVES.get(oid) : "EC curve " + oid.getId();
            }
            return "EC explicit curve";
        }
        return algorithm.getId();
    }

    /** The key's kind and size, e.g. {@code EC P-256}; refuses weak, unknown and explicit-curve keys. */
    private String checkKey(SubjectPublicKeyInfo key) {
        ASN1ObjectIdentifier algorithm = key.getAlgorithm().getAlgorithm();
        if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            int bits;
            try {
                bits = RSAPublicKey.getInstance(key.parsePublicKey()).getModulus().bitLength();
            } catch (IOException | IllegalArgumentException e) {
                throw new CsrRefusedException(CsrRefusedException.Reason.MALFORMED, "The certificate request for " + subject()
                        + " carries an unreadable RSA key");
            }
            if (bits < MIN_RSA_BITS) {
                throw new CsrRefusedException(CsrRefusedException.Reason.WEAK_KEY, "The certificate request for " + subject()
                        + " carries a " + bits + "-bit RSA key; at least " + MIN_RSA_BITS + " bits are required. Make a new key:"
                        + " EC P-256 (preferred) or RSA 3072");
            }
            if (bits > MAX_RSA_BITS) {
                throw new CsrRefusedException(CsrRefusedException.Reason.UNSUPPORTED_KEY, "The certificate request for " + subject()
                        + " carries a " + bits + "-bit RSA key; more than " + MAX_RSA_BITS + " bits only slows every handshake."
                        + " Use EC P-256 or RSA 3072");
            }
            return "RSA " + bits;
        }
        if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            ASN1Encodable parameters = key.getAlgorithm().getParameters();
            String curve = parameters instanceof ASN1ObjectIdentifier oid ? CURVES.get(oid) : null;
            if (curve == null) {
                throw new CsrRefusedException(CsrRefusedException.Reason.UNSUPPORTED_KEY, "The certificate request for " + subject()
                        + " carries an EC key on " + (parameters instanceof ASN1ObjectIdentifier oid ? "curve " + oid.getId() : "explicit curve parameters")
                        + "; only the named curves " + String.join(", ", CURVES.values().stream().sorted().toList())
                        + " are accepted. Make a new key on P-256");
            }
            return "EC " + curve;
        }
        throw new CsrRefusedException(CsrRefusedException.Reason.UNSUPPORTED_KEY, "The certificate request for " + subject()
                + " carries a key of type " + algorithm.getId() + "; only RSA (" + MIN_RSA_BITS + " bits or more) and EC"
                + " (P-256, P-384, P-521) keys are accepted");
    }

    private X500Principal subjectPrincipal() {
        try {
            return new X500Principal(csr.getSubject().getEncoded());
        } catch (IOException | IllegalArgumentException e) {
            throw new CsrRefusedException(CsrRefusedException.Reason.MALFORMED, "The certificate request's subject cannot be read");
        }
    }

    private static String singleCommonName(X500Principal subject) {
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(subject.getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(rdn.getValue().toString());
                }
            }
        } catch (InvalidNameException e) {
            throw new CsrRefusedException(CsrRefusedException.Reason.MALFORMED, "The certificate request's subject is not a"
                    + " distinguished name");
        }
        if (names.size() != 1 || names.get(0).isBlank()) {
            throw new CsrRefusedException(CsrRefusedException.Reason.NO_IDENTITY, "The certificate request's subject '"
                    + subject.getName() + "' has " + (names.isEmpty() ? "no common name" : names.size() == 1 ? "a blank common name"
                    : names.size() + " common names") + "; the common name is the identity (the Kafka principal): give exactly one");
        }
        if (names.get(0).length() > 64) {
            throw new CsrRefusedException(CsrRefusedException.Reason.NO_IDENTITY, "The certificate request's common name is "
                    + names.get(0).length() + " characters long; X.509 allows 64");
        }
        return names.get(0);
    }

    private static void names(X500Principal subject, GeneralNames names, List<String> dns, List<String> ips, List<String> uris) {
        for (GeneralName name : names.getNames()) {
            switch (name.getTagNo()) {
                case GeneralName.dNSName -> dns.add(((ASN1String) name.getName()).getString());
                case GeneralName.uniformResourceIdentifier -> uris.add(((ASN1String) name.getName()).getString());
                case GeneralName.iPAddress -> {
                    try {
                        ips.add(InetAddress.getByAddress(ASN1OctetString.getInstance(name.getName()).getOctets()).getHostAddress());
                    } catch (UnknownHostException e) {
                        throw new CsrRefusedException(CsrRefusedException.Reason.MALFORMED, "The certificate request for "
                                + subject.getName() + " names an IP address of an impossible length");
                    }
                }
                default -> throw new CsrRefusedException(CsrRefusedException.Reason.UNSUPPORTED_NAME, "The certificate request for "
                        + subject.getName() + " asks for a subject alternative name of kind " + kind(name.getTagNo())
                        + "; the CA certifies DNS names, IP addresses and URIs only. Remove it from the request");
            }
        }
    }

    private static String kind(int tag) {
        return switch (tag) {
            case GeneralName.rfc822Name -> "email (rfc822Name)";
            case GeneralName.otherName -> "otherName";
            case GeneralName.directoryName -> "directoryName";
            case GeneralName.registeredID -> "registeredID";
            default -> "tag " + tag;
        };
    }

    private static String extensionName(ASN1ObjectIdentifier oid) {
        if (oid.equals(Extension.keyUsage)) {
            return "keyUsage";
        }
        if (oid.equals(Extension.extendedKeyUsage)) {
            return "extendedKeyUsage";
        }
        if (oid.equals(Extension.basicConstraints)) {
            return "basicConstraints";
        }
        return oid.getId();
    }

    public String toPem() {
        return Pem.encodeCsr(csr);
    }

    @Override
    public String toString() {
        return "CertificateSigningRequest[subject=" + subject() + "]";
    }
}
