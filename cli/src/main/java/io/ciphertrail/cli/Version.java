package io.ciphertrail.cli;

import picocli.CommandLine.IVersionProvider;

final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Ciphertrail.class.getPackage().getImplementationVersion();
        return new String[] {"ciphertrail " + (version != null ? version : "(development build)")};
    }
}
