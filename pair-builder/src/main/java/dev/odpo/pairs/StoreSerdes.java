package dev.odpo.pairs;

import dev.odpo.events.HumanFeedback;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serdes for the pair-builder's own state stores (and their changelog topics).
 *
 * <p>State is internal to this application, so it is written without the schema registry: a format
 * version byte, then fields, with events in Avro's single-object encoding (which carries the schema
 * fingerprint, so a state written by an incompatible build fails loudly instead of decoding wrongly).
 */
public final class StoreSerdes {
    private static final byte FORMAT = 1;

    private StoreSerdes() {}

    /** A sample kept for human feedback, with the wall-clock time it was received. */
    public record RetainedSample(Sample sample, long receivedAtMs) {}

    /** Feedback waiting for samples it names, with where it came from (for a dead letter if they never come). */
    public record PendingFeedback(HumanFeedback feedback, byte[] raw, long receivedAtMs, String topic, int partition, long offset) {}

    /** A rating kept for pairing with later ratings of the same prompt, with the rated sample. */
    public record RetainedRating(HumanFeedback feedback, Sample sample, long receivedAtMs) {}

    public static Serde<GroupState> groupState() {
        return serde(StoreSerdes::writeGroup, StoreSerdes::readGroup);
    }

    public static Serde<RetainedSample> retainedSample() {
        return serde((out, v) -> {
            out.writeLong(v.receivedAtMs());
            writeBytes(out, v.sample().toByteBuffer());
        }, in -> {
            long receivedAt = in.readLong();
            return new RetainedSample(Sample.fromByteBuffer(readBytes(in)), receivedAt);
        });
    }

    public static Serde<PendingFeedback> pendingFeedback() {
        return serde((out, v) -> {
            writeBytes(out, v.feedback().toByteBuffer());
            writeBytes(out, ByteBuffer.wrap(v.raw()));
            out.writeLong(v.receivedAtMs());
            out.writeUTF(v.topic());
            out.writeInt(v.partition());
            out.writeLong(v.offset());
        }, in -> new PendingFeedback(HumanFeedback.fromByteBuffer(readBytes(in)), readBytes(in).array(), in.readLong(), in.readUTF(),
                in.readInt(), in.readLong()));
    }

    public static Serde<RetainedRating> retainedRating() {
        return serde((out, v) -> {
            writeBytes(out, v.feedback().toByteBuffer());
            writeBytes(out, v.sample().toByteBuffer());
            out.writeLong(v.receivedAtMs());
        }, in -> new RetainedRating(HumanFeedback.fromByteBuffer(readBytes(in)), Sample.fromByteBuffer(readBytes(in)), in.readLong()));
    }

    private static void writeGroup(DataOutputStream out, GroupState g) throws IOException {
        out.writeUTF(g.groupId());
        out.writeUTF(g.promptId());
        out.writeLong(g.openedAtMs());
        out.writeInt(g.groupSize());
        out.writeInt(g.samples().size());
        for (Sample s : g.samples()) {
            writeBytes(out, s.toByteBuffer());
        }
        out.writeInt(g.scores().size());
        for (Map.Entry<String, List<Score>> e : g.scores().entrySet()) {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue().size());
            for (Score s : e.getValue()) {
                writeBytes(out, s.toByteBuffer());
            }
        }
    }

    private static GroupState readGroup(DataInputStream in) throws IOException {
        String groupId = in.readUTF();
        String promptId = in.readUTF();
        long openedAt = in.readLong();
        int groupSize = in.readInt();
        Map<String, Sample> samples = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            Sample s = Sample.fromByteBuffer(readBytes(in));
            samples.put(s.getSampleId(), s);
        }
        Map<String, List<Score>> scores = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            String sampleId = in.readUTF();
            List<Score> list = new ArrayList<>();
            for (int j = in.readInt(); j > 0; j--) {
                list.add(Score.fromByteBuffer(readBytes(in)));
            }
            scores.put(sampleId, list);
        }
        return new GroupState(groupId, promptId, openedAt, groupSize, samples, scores);
    }

    private static void writeBytes(DataOutputStream out, ByteBuffer buffer) throws IOException {
        out.writeInt(buffer.remaining());
        out.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
    }

    private static ByteBuffer readBytes(DataInputStream in) throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return ByteBuffer.wrap(bytes);
    }

    private interface Writer<T> {
        void write(DataOutputStream out, T value) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static <T> Serde<T> serde(Writer<T> writer, Reader<T> reader) {
        Serializer<T> serializer = (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeByte(FORMAT);
                writer.write(out, value);
                out.flush();
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        Deserializer<T> deserializer = (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
                byte format = in.readByte();
                if (format != FORMAT) {
                    throw new SerializationException("pair-builder state in " + topic + " has format " + format
                            + ", this build reads format " + FORMAT + ": reset the application's state");
                }
                return reader.read(in);
            } catch (IOException e) {
                throw new SerializationException("cannot read pair-builder state from " + topic + ": " + e.getMessage(), e);
            }
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
