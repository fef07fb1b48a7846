package dev.odpo.registry.testing;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.EvalReport;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.LearnerMetrics;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

/** Fully populated instances of every odpo event: each field set, unions on their non-null branch. */
public final class EventFixtures {

    /** Every event in dev.odpo.events (the records in schemas/src/main/avro). */
    public static final List<Class<? extends SpecificRecord>> EVENTS = List.of(Prompt.class, Sample.class, Score.class,
            HumanFeedback.class, PreferencePair.class, CheckpointAnnouncement.class, EvalReport.class,
            LearnerMetrics.class, DeadLetter.class);

    private EventFixtures() {
    }

    /** A populated instance of {@code type}; {@code seed} varies the values. */
    public static <T extends SpecificRecord> T populated(Class<T> type, int seed) {
        SpecificData model = SpecificData.getForClass(type);
        Schema schema = model.getSchema(type);
        GenericRecord generic = (GenericRecord) value(schema, schema.getName(), seed);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(schema).write(generic, enc);
            enc.flush();
            return new SpecificDatumReader<T>(schema, schema, model).read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Object value(Schema s, String path, int seed) {
        switch (s.getType()) {
            case RECORD: {
                GenericRecord r = new GenericData.Record(s);
                for (Schema.Field f : s.getFields()) {
                    r.put(f.name(), value(f.schema(), f.name(), seed + f.pos()));
                }
                return r;
            }
            case UNION:
                return value(s.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst().orElseThrow(), path, seed);
            case STRING:
                return path + "-" + seed + " ünïcödé";
            case INT:
                return seed * 7 + 1;
            case LONG:
                return s.getLogicalType() != null ? 1_763_856_000_000L + seed * 1000L : seed * 1_000_003L + 5;
            case FLOAT:
                return seed + 0.25f;
            case DOUBLE:
                return -seed - 0.125;
            case BOOLEAN:
                return seed % 2 == 0;
            case BYTES:
                return ByteBuffer.wrap((path + seed).getBytes(StandardCharsets.UTF_8));
            case ENUM:
                return new GenericData.EnumSymbol(s, s.getEnumSymbols().get(seed % s.getEnumSymbols().size()));
            case ARRAY: {
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    items.add(value(s.getElementType(), path, seed + i));
                }
                return items;
            }
            case MAP: {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < 2; i++) {
                    m.put(path + "-k" + i, value(s.getValueType(), path, seed + i));
                }
                return m;
            }
            case NULL:
                return null;
            default:
                throw new IllegalArgumentException("no fixture for " + s.getType() + " at " + path);
        }
    }
}
