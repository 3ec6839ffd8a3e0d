package dev.switchyard.server.serving;

/** Switchyard's version as every API reports it: the jar manifest's, or "development" when run from classes. */
public final class Version {

    private Version() {
    }

    public static String current() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v != null ? v : "development";
    }
}
