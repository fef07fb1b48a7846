package dev.odpo.registry.client;

/**
 * An error answered by a schema registry, carrying Confluent's {@code error_code}: 40401 subject not found,
 * 40402 version not found, 40403 schema not found, 40408 subject has no compatibility level, 409 incompatible
 * schema, 42201 invalid schema, 42202 invalid version, 42203 invalid compatibility level, 50001 store error;
 * -1 when the registry could not be reached or answered something that is not a registry error.
 */
public class SchemaRegistryException extends RuntimeException {

    public static final int SUBJECT_NOT_FOUND = 40401;
    public static final int VERSION_NOT_FOUND = 40402;
    public static final int SCHEMA_NOT_FOUND = 40403;
    public static final int SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED = 40408;
    public static final int INCOMPATIBLE_SCHEMA = 409;
    public static final int INVALID_SCHEMA = 42201;
    public static final int INVALID_VERSION = 42202;
    public static final int INVALID_COMPATIBILITY_LEVEL = 42203;
    public static final int STORE_ERROR = 50001;
    public static final int UNREACHABLE = -1;

    private final int errorCode;

    public SchemaRegistryException(int errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    /** Confluent's error code, e.g. 40403. */
    public int errorCode() {
        return errorCode;
    }

    /** The HTTP status Confluent's registry answers with this error code. */
    public int httpStatus() {
        if (errorCode == UNREACHABLE) {
            return 503;
        }
        return errorCode >= 1000 ? errorCode / 100 : errorCode;
    }

    /** The registry could not be reached or failed on its side (5xx): the request, not the data, should be retried. */
    public boolean isUnavailable() {
        return errorCode == UNREACHABLE || httpStatus() >= 500;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " (error_code " + errorCode + "): " + getMessage();
    }
}
