package dev.odpo.broker;

import org.apache.kafka.common.utils.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Kafka's fatal-error path ({@code Exit.exit} / {@code Exit.halt}) from killing the JVM that hosts an
 * embedded broker. Kafka's Exit procedures are process-wide, so the guard is reference counted: installed when
 * the first embedded broker starts, restored when the last one stops.
 */
final class ExitGuard {

    private static final Logger log = LoggerFactory.getLogger(ExitGuard.class);
    private static int holders;

    private ExitGuard() {
    }

    static synchronized void acquire() {
        if (holders++ == 0) {
            Exit.setExitProcedure((code, message) -> refuse("exit", code, message));
            Exit.setHaltProcedure((code, message) -> refuse("halt", code, message));
        }
    }

    static synchronized void release() {
        if (holders > 0 && --holders == 0) {
            Exit.resetExitProcedure();
            Exit.resetHaltProcedure();
        }
    }

    private static void refuse(String kind, int code, String message) {
        log.error("embedded Kafka asked the JVM to {} with status {}: {} (refused; the broker is likely unusable)",
                kind, code, message);
        throw new IllegalStateException("embedded Kafka requested " + kind + "(" + code + "): " + message);
    }
}
