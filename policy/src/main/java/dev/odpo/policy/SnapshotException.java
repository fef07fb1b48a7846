package dev.odpo.policy;

import dev.odpo.kafka.DeadLetters;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A snapshot that cannot be trusted: missing, outside the store's root, tampered with, truncated or not
 * matching its announcement. The message names the snapshot and every bad file.
 */
public final class SnapshotException extends IOException implements DeadLetters.Kinded {

    /** The error class of a refused snapshot's dead letter. */
    public static final String KIND = "SnapshotRefused";

    private final List<String> problems;

    public SnapshotException(Object where, String problem) {
        this(where, List.of(problem));
    }

    public SnapshotException(Object where, List<String> problems) {
        super("snapshot " + where + " refused: " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    @Override
    public String deadLetterKind() {
        return KIND;
    }

    /** One line per problem, each naming the file it concerns where there is one. */
    public List<String> problems() {
        return problems;
    }
}
