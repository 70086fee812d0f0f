package io.ciphertrail.cli;

import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.kms.KekInfo;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Key encryption keys in the configured KMS: only these commands (an administrator's) create them, never a client. */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Creates, rotates, lists and shreds key encryption keys (KEKs) in the configured KMS (ciphertrail.kms.*).",
        subcommands = {KeysCommand.Init.class, KeysCommand.Create.class, KeysCommand.Rotate.class, KeysCommand.List.class,
            KeysCommand.Shred.class})
final class KeysCommand {

    /** A KEK named by alias, or by the topic whose alias the template gives. */
    static final class Target {
        @Parameters(paramLabel = "ALIAS", arity = "0..1", description = "KEK alias, e.g. ciphertrail/topic/orders.")
        String alias;

        @Option(names = "--topic", description = "The topic whose KEK is meant (alias from ciphertrail.envelope.kek.alias.template).")
        String topic;

        String alias(Map<String, Object> settings) {
            if ((alias == null) == (topic == null)) {
                throw new IllegalArgumentException("Name the KEK by ALIAS or by --topic (one of them)");
            }
            return alias != null ? alias : new EnvelopeConfig(settings).kekAlias(topic);
        }
    }

    abstract static class KeyCommand {
        @Mixin
        ClientSettings settings;

        @Spec
        CommandSpec spec;

        KmsAdmin admin(Map<String, Object> configs) {
            return KmsConfig.admin(configs);
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Creates a new, empty KEK store (the local KMS's key store file): with --home, the one the local",
                "platform's key service keeps its KEKs in; with --config, the one that file's ciphertrail.kms.* settings name",
                "(a key service's properties file, for instance).",
                "Only for a new deployment: it refuses to replace a store that exists. If a store was moved or lost, restore",
                "it from backup instead; records are readable only with the keys that wrapped them."})
    static final class Init extends KeyCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            // Clients of the local platform use the key service; its store is the home's, which only it opens.
            Map<String, Object> store = settings.config != null ? settings.load(LocalPlatform.ADMIN)
                    : LocalPlatform.kmsSettings(settings.layout());
            out().println("Created an empty KEK store at " + KmsConfig.initialize(store)
                    + "; create each topic's KEK with 'ciphertrail keys create --topic T'");
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates version 1 of a KEK.")
    static final class Create extends KeyCommand implements Callable<Integer> {
        @Mixin
        Target target;

        @Override
        public Integer call() {
            Map<String, Object> configs = settings.load(LocalPlatform.ADMIN);
            try (KmsAdmin admin = admin(configs)) {
                out().println("Created " + admin.create(target.alias(configs)));
            }
            return 0;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Adds a KEK version. New data keys are wrapped by it within ciphertrail.envelope.kek.refresh.ms; older records still decrypt.")
    static final class Rotate extends KeyCommand implements Callable<Integer> {
        @Mixin
        Target target;

        @Override
        public Integer call() {
            Map<String, Object> configs = settings.load(LocalPlatform.ADMIN);
            try (KmsAdmin admin = admin(configs)) {
                out().println("Rotated to " + admin.rotate(target.alias(configs)));
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists every KEK version and its state.")
    static final class List extends KeyCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            try (KmsAdmin admin = admin(settings.load(LocalPlatform.ADMIN))) {
                PrintWriter out = out();
                out.printf("%-50s %7s  %-9s  %s%n", "ALIAS", "VERSION", "STATE", "CREATED");
                for (KekInfo info : admin.list()) {
                    out.printf("%-50s %7d  %-9s  %s%n", info.ref().alias(), info.ref().version(), info.state(),
                            info.created() == null ? "-" : info.created());
                }
            }
            return 0;
        }
    }

    @Command(name = "shred", mixinStandardHelpOptions = true,
            description = {"Destroys a KEK version, or every version: what it wrapped can never be decrypted again.",
                "This cannot be undone, so it needs --yes."})
    static final class Shred extends KeyCommand implements Callable<Integer> {
        @Mixin
        Target target;

        @ArgGroup(exclusive = true)
        Scope scope = new Scope();

        @Option(names = "--yes", description = "Confirm: the records become permanently unreadable.")
        boolean yes;

        static final class Scope {
            @Option(names = "--version", paramLabel = "N", description = "Destroy only this version.")
            Integer version;

            @Option(names = "--all-versions", description = "Destroy every version (the whole topic is shredded).")
            boolean all;
        }

        @Override
        public Integer call() {
            Map<String, Object> configs = settings.load(LocalPlatform.ADMIN);
            String alias = target.alias(configs);
            if (scope.version == null && !scope.all) {
                throw new IllegalArgumentException("Say what to destroy: --version N or --all-versions");
            }
            if (!yes) {
                throw new IllegalArgumentException("Shredding " + alias + (scope.all ? " (every version)" : " v" + scope.version)
                        + " makes its records permanently unreadable; add --yes to confirm");
            }
            try (KmsAdmin admin = admin(configs)) {
                if (scope.all) {
                    admin.destroyAll(alias);
                    out().println("Destroyed every version of " + alias);
                } else {
                    admin.destroy(new KekRef(alias, scope.version));
                    out().println("Destroyed " + new KekRef(alias, scope.version));
                }
            }
            return 0;
        }
    }
}
