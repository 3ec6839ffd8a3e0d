package dev.switchyard.server.serving;

import java.util.List;

/** The message roles both APIs accept, and the role a chat template sees for each. */
public final class ChatRoles {

    /** In the order error messages list them. */
    public static final List<String> ACCEPTED = List.of("system", "developer", "user", "assistant", "tool");

    private ChatRoles() {
    }

    public static boolean isAccepted(String role) {
        return role != null && ACCEPTED.contains(role);
    }

    /** Chat templates know "system"; OpenAI's "developer" is its newer name. */
    public static String forTemplate(String role) {
        return role.equals("developer") ? "system" : role;
    }
}
