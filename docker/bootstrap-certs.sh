#!/bin/sh
# Certificate bootstrap for docker/compose.yaml, run once per 'up' by the 'certs' service.
# Creates the CA on first run (kept afterwards), issues each node's and client's certificate with
# 'ciphertrail certs', and writes the policy service's client settings. Passwords go to files only.
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

# The Kafka image runs as uid 1000 (appuser); it reads its node's stores and password file.
chown -R 1000:1000 /secrets/kafka-1 /secrets/kafka-2 /secrets/kafka-3
echo "Certificates ready in the secrets volume"
