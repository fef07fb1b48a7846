package dev.odpo.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors file format (8-byte little-endian header length, JSON header, raw little-endian data),
 * read and written in Java so that BF16 and F16 weights become F32 without passing through DJL (which
 * aborts on BF16) and files larger than 2 GB stream tensor by tensor.
 */
final class Safetensors {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One tensor's entry in a file header. */
  record Entry(String name, String dtype, long[] shape, long begin, long end) {
    long elements() {
      long n = 1;
      for (long s : shape) {
        n *= s;
      }
      return n;
    }
  }

  private Safetensors() {}

  /** Reads the header of {@code file}: tensor name → entry, in file order. */
  static Map<String, Entry> header(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0);
      long n = len.flip().getLong();
      if (n <= 0 || n > 100_000_000 || n + 8 > ch.size()) {
        throw new IOException(file + ": not a safetensors file (header length " + n + ")");
      }
      ByteBuffer hb = ByteBuffer.allocate((int) n);
      readFully(ch, hb, 8);
      JsonNode root = JSON.readTree(hb.array());
      Map<String, Entry> out = new LinkedHashMap<>();
      long base = 8 + n;
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (f.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode t = f.getValue();
        long[] shape = new long[t.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = t.path("shape").get(i).asLong();
        }
        Entry e = new Entry(f.getKey(), t.path("dtype").asText(), shape,
            base + t.path("data_offsets").get(0).asLong(), base + t.path("data_offsets").get(1).asLong());
        if (e.end() > ch.size() || e.end() - e.begin() != e.elements() * bytesPer(e.dtype(), file)) {
          throw new IOException(file + ": tensor " + e.name() + " has inconsistent offsets (truncated file?)");
        }
        out.put(e.name(), e);
      }
      return out;
    }
  }

  /** Reads one tensor as F32, converting F16 and BF16. */
  static float[] readFloats(Path file, Entry e) throws IOException {
    long n = e.elements();
    if (n > Integer.MAX_VALUE - 16) {
      throw new IOException(e.name() + " has " + n + " elements; too large for one Java array");
    }
    float[] out = new float[(int) n];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      int per = bytesPer(e.dtype(), file);
      int chunkElems = 1 << 20;
      ByteBuffer buf = ByteBuffer.allocate(chunkElems * per).order(ByteOrder.LITTLE_ENDIAN);
      for (long done = 0; done < n; ) {
        int k = (int) Math.min(chunkElems, n - done);
        buf.clear().limit(k * per);
        readFully(ch, buf, e.begin() + done * per);
        buf.flip();
        for (int i = 0; i < k; i++) {
          out[(int) done + i] = switch (e.dtype()) {
            case "F32" -> buf.getFloat();
            case "F16" -> halfToFloat(buf.getShort());
            case "BF16" -> Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
            default -> throw new IOException(e.name() + ": unsupported dtype " + e.dtype());
          };
        }
        done += k;
      }
    }
    return out;
  }

  private static int bytesPer(String dtype, Path file) throws IOException {
    return switch (dtype) {
      case "F32" -> 4;
      case "F16", "BF16" -> 2;
      case "I64", "F64" -> 8;
      case "I32" -> 4;
      case "I8", "U8", "BOOL" -> 1;
      default -> throw new IOException(file + ": unknown safetensors dtype " + dtype);
    };
  }

  /** Tensor to write: name, shape and F32 data. */
  record Output(String name, long[] shape, float[] data) {}

  /** Writes F32 tensors in the given order, with {"format": "pt"} metadata as transformers expects. */
  static void write(Path file, Iterable<Output> tensors) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Output t : tensors) {
      ObjectNode e = header.putObject(t.name());
      e.put("dtype", "F32");
      var shape = e.putArray("shape");
      for (long s : t.shape()) {
        shape.add(s);
      }
      long bytes = 4L * t.data().length;
      e.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] hb = JSON.writeValueAsBytes(header);
    int pad = (8 - hb.length % 8) % 8;   // keep the data 8-byte aligned, as the reference writer does
    byte[] padded = new byte[hb.length + pad];
    System.arraycopy(hb, 0, padded, 0, hb.length);
    for (int i = hb.length; i < padded.length; i++) {
      padded[i] = ' ';
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length).flip();
      writeFully(ch, len);
      writeFully(ch, ByteBuffer.wrap(padded));
      ByteBuffer buf = ByteBuffer.allocate(4 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (Output t : tensors) {
        for (float f : t.data()) {
          if (!buf.hasRemaining()) {
            writeFully(ch, buf.flip());
            buf.clear();
          }
          buf.putFloat(f);
        }
      }
      writeFully(ch, buf.flip());
      ch.force(true);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int r = ch.read(b, pos);
      if (r < 0) {
        throw new IOException("unexpected end of file");
      }
      pos += r;
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** IEEE 754 half → float (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant / 1024f / 16384f;   // subnormal: mant * 2^-24
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
