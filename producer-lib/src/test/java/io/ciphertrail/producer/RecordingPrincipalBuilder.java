package io.ciphertrail.producer;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.config.internals.BrokerSecurityConfigs;
import org.apache.kafka.common.security.auth.AuthenticationContext;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.KafkaPrincipalBuilder;
import org.apache.kafka.common.security.auth.KafkaPrincipalSerde;
import org.apache.kafka.common.security.auth.SslAuthenticationContext;
import org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

/**
 * A broker-side principal builder that remembers the serial number of every client certificate the
 * broker accepted, so a test can see which certificate a client really presented.
 */
public final class RecordingPrincipalBuilder implements KafkaPrincipalBuilder, KafkaPrincipalSerde, Configurable {
    public static final List<BigInteger> SERIALS_SEEN = new CopyOnWriteArrayList<>();

    private DefaultKafkaPrincipalBuilder delegate;

    @Override
    public void configure(Map<String, ?> configs) {
        Object rules = configs.get(BrokerSecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES_CONFIG);
        delegate = new DefaultKafkaPrincipalBuilder(null, SslPrincipalMapper.fromRules(rules == null ? "DEFAULT" : rules.toString()));
    }

    @Override
    public KafkaPrincipal build(AuthenticationContext context) {
        if (context instanceof SslAuthenticationContext ssl) {
            try {
                SERIALS_SEEN.add(((X509Certificate) ssl.session().getPeerCertificates()[0]).getSerialNumber());
            } catch (SSLPeerUnverifiedException e) {
                // no client certificate: nothing to record
            }
        }
        return delegate.build(context);
    }

    @Override
    public byte[] serialize(KafkaPrincipal principal) {
        return delegate.serialize(principal);
    }

    @Override
    public KafkaPrincipal deserialize(byte[] bytes) {
        return delegate.deserialize(bytes);
    }
}
