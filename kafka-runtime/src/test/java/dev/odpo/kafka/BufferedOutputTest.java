package dev.odpo.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

/** What a handler call can do with its output, without Kafka. */
class BufferedOutputTest {

    private static final Topic<String, String> ANSWERS =
            new Topic<>("answers", Serdes.String(), Serdes.String(), 1, "delete", Duration.ofDays(1));

    private static DecodedRecord<String, String> decoded(long offset, String value) {
        ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>("questions", 0, offset,
                ("k" + offset).getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
        return new DecodedRecord<>(raw, new ConsumerRecord<>("questions", 0, offset, "k" + offset, value));
    }

    @Test
    void sendsAreSerializedWithTheTopicsSerdesAndRejectionsCarryTheRawRecord() {
        BufferedOutput<String, String> out = new BufferedOutput<>(List.of(decoded(0, "a"), decoded(1, "b")));
        List<ConsumerRecord<String, String>> records = out.records();

        out.send(ANSWERS, "k0", "A");
        out.reject(records.get(1), "cannot be answered");
        out.reject(records.get(1), new IllegalStateException("second reason"));

        assertThat(out.sends()).hasSize(1);
        assertThat(new String(out.sends().get(0).value(), StandardCharsets.UTF_8)).isEqualTo("A");
        assertThat(out.sends().get(0).topic()).isEqualTo("answers");
        assertThat(out.rejections()).singleElement().satisfies(r -> {
            assertThat(r.source().offset()).isEqualTo(1);
            assertThat(new String(r.source().value(), StandardCharsets.UTF_8)).isEqualTo("b");
            assertThat(r.errorClass()).isEqualTo(DeadLetters.INVALID_RECORD);
            assertThat(r.reason()).isEqualTo("cannot be answered");
        });
        assertThat(out.served()).isEqualTo(1);
    }

    @Test
    void aRecordFromAnotherCallCannotBeRejected() {
        BufferedOutput<String, String> out = new BufferedOutput<>(List.of(decoded(0, "a")));
        ConsumerRecord<String, String> other = decoded(7, "x").record();
        assertThatThrownBy(() -> out.reject(other, "no")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theOutputIsUnusableOnceTheCallHasReturned() {
        BufferedOutput<String, String> out = new BufferedOutput<>(List.of(decoded(0, "a")));
        out.close();
        assertThatThrownBy(() -> out.send(ANSWERS, "k", "v")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> out.reject(out.records().get(0), "late")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anErrorRejectionNamesTheExceptionAndAnInvalidRecordExceptionIsAnInvalidRecord() {
        BufferedOutput<String, String> out = new BufferedOutput<>(List.of(decoded(0, "a"), decoded(1, "b")));
        out.reject(out.records().get(0), new IllegalStateException("tokenizer failed"));
        out.reject(out.records().get(1), new InvalidRecordException("too long"));
        assertThat(out.rejections()).extracting(Rejection::errorClass)
                .containsExactly(IllegalStateException.class.getName(), DeadLetters.INVALID_RECORD);
        assertThat(out.rejections()).extracting(Rejection::reason).containsExactly("tokenizer failed", "too long");
    }
}
