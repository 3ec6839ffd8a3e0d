package dev.switchyard.server.cli;

import picocli.CommandLine;

/** The version from the jar's manifest (set by the build), or "development" when run from classes. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = SwitchyardCli.class.getPackage().getImplementationVersion();
        return new String[] {"switchyard " + (v != null ? v : "development") + " (Java " + Runtime.version() + ")"};
    }
}
