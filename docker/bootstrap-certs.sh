#!/bin/sh
# Certificate bootstrap for docker/compose.yaml, run once per 'up' by the 'certs' service.
# Creates the CA on first run (kept afterwards), issues each node's and client's certificate with
# 'ciphertrail certs', and writes the policy service's and the key service's settings. Passwords go to files only.
set -eu
ct() { java -cp "/opt/ciphertrail/ciphertrail-cli.jar:/opt/ciphertrail/lib/*" io.ciphertrail.cli.Ciphertrail "$@"; }

if [ ! -f /secrets/ca/ca.crt ]; then
  ct certs init-ca --ca /secrets/ca --name "Ciphertrail Docker CA"
fi
for node in kafka-1 kafka-2 kafka-3; do
  ct certs issue "$node" --broker --dns "$node" --dns localhost --ip 127.0.0.1 --pkcs12 --ca /secrets/ca --out /secrets
done
for client in policy-service ciphertrail-admin; do
  ct certs issue "$client" --days 30 --pkcs12 --ca /secrets/ca --out /secrets
done
# The key service is a TLS server to its clients (and a Kafka client for its audit trail).
ct certs issue key-service --broker --dns key-service --dns localhost --ip 127.0.0.1 --pkcs12 --ca /secrets/ca --out /secrets

password=$(cat /secrets/policy-service/store-password)
umask 077
cat > /secrets/policy-service/service.properties <<PROPERTIES
bootstrap.servers=kafka-1:9093,kafka-2:9093,kafka-3:9093
security.protocol=SSL
ssl.keystore.type=PKCS12
ssl.keystore.location=/secrets/policy-service/keystore.p12
ssl.keystore.password=$password
ssl.key.password=$password
ssl.truststore.type=PKCS12
ssl.truststore.location=/secrets/policy-service/truststore.p12
ssl.truststore.password=$password
ssl.endpoint.identification.algorithm=https
ssl.enabled.protocols=TLSv1.3,TLSv1.2
application.id=ciphertrail-policy-service
state.dir=/var/lib/ciphertrail/state
replication.factor=3
ciphertrail.policies.file=/etc/ciphertrail/policies.yaml
ciphertrail.http.host=0.0.0.0
ciphertrail.http.port=8080
PROPERTIES

# The key service's backend key store and its password: made once, on the first run, kept like the CA.
# A later run whose store went missing does not make an empty one (restore it from backup instead).
new_kek_store=false
if [ ! -f /secrets/key-service/kms-password ]; then
  (umask 077; head -c 32 /dev/urandom | base64 | tr -d '\n/+=' > /secrets/key-service/kms-password)
  new_kek_store=true
fi
password=$(cat /secrets/key-service/store-password)
cat > /secrets/key-service/trust.properties <<PROPERTIES
ssl.keystore.type=PKCS12
ssl.keystore.location=/secrets/key-service/keystore.p12
ssl.keystore.password=$password
ssl.key.password=$password
ssl.truststore.type=PKCS12
ssl.truststore.location=/secrets/key-service/truststore.p12
ssl.truststore.password=$password
ssl.enabled.protocols=TLSv1.3,TLSv1.2
ssl.principal.mapping.rules=RULE:^CN=([^,]+),.*\$/\$1/,DEFAULT
bootstrap.servers=kafka-1:9093,kafka-2:9093,kafka-3:9093
security.protocol=SSL
ciphertrail.trust.host=0.0.0.0
ciphertrail.trust.port=8443
ciphertrail.trust.management.host=0.0.0.0
ciphertrail.trust.management.port=8444
ciphertrail.trust.key.policy.file=/etc/ciphertrail/key-policy.yaml
ciphertrail.kms.type=local
ciphertrail.kms.local.keystore.path=/var/lib/ciphertrail/kms/keks.p12
ciphertrail.kms.local.password.file=/secrets/key-service/kms-password
PROPERTIES
if $new_kek_store; then
  ct keys init --config /secrets/key-service/trust.properties
fi

# The Kafka image runs as uid 1000 (appuser); it reads its node's stores and password file.
chown -R 1000:1000 /secrets/kafka-1 /secrets/kafka-2 /secrets/kafka-3
echo "Certificates ready in the secrets volume"
