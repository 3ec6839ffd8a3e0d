package dev.switchyard.server.serving;

/**
 * Whose the things a client makes through the API are (files, batches, kept responses,
 * conversations): the key's that made them. Another key finds nothing under their ids.
 */
public final class KeyOwnership {

    private KeyOwnership() {
    }

    /**
     * Whether what {@code owner}'s key made is for the client of the key named {@code caller}: its
     * own, anything where requests need no key (null caller), or what was made when they needed none
     * (null owner).
     */
    public static boolean visible(String owner, String caller) {
        return owner == null || caller == null || owner.equals(caller);
    }
}
