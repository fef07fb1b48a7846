package dev.odpo.policy;

import java.util.regex.Pattern;

/** Policy names key announcements and name store directories, so they are plain: letters, digits, . _ - */
public final class PolicyNames {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    private PolicyNames() {
    }

    /** Null when {@code name} is a valid policy name, else why not. */
    public static String problem(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return "a policy name is 1-128 letters, digits, '.', '_' or '-' and does not start with '.' or '-', got '"
                    + name + "'";
        }
        return null;
    }

    public static String require(String name) {
        String p = problem(name);
        if (p != null) {
            throw new IllegalArgumentException(p);
        }
        return name;
    }
}
