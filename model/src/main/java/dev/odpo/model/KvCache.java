package dev.odpo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;

/**
 * Keys and values of every layer for the tokens a batch has seen so far, so that decoding a new token
 * costs one position instead of the whole sequence. Owns its native memory: close it when done.
 *
 * <p>Keys are kept transposed, (B, Hkv, hd, S), so attention needs no transpose per step; values are
 * (B, Hkv, S, hd). The key-padding mask and the count of real tokens per row live on the host.
 */
public final class KvCache implements AutoCloseable {

  private final NDManager manager;
  private final NDArray[] keysT;    // per layer (B, Hkv, hd, S)
  private final NDArray[] values;   // per layer (B, Hkv, S, hd)
  private final int batch;
  private int[] keyMask;            // (B, S) row-major, 1 = real token
  private final int[] realTokens;   // (B) real tokens seen per row: the next position id
  private int length;

  KvCache(NDManager parent, int layers, int batch) {
    this.manager = parent.newSubManager();
    this.keysT = new NDArray[layers];
    this.values = new NDArray[layers];
    this.batch = batch;
    this.keyMask = new int[0];
    this.realTokens = new int[batch];
  }

  /** Number of positions cached, S. */
  public int length() {
    return length;
  }

  public int batchSize() {
    return batch;
  }

  int[] keyMask() {
    return keyMask;
  }

  int realTokens(int row) {
    return realTokens[row];
  }

  /** Records the mask of T new positions (B, T) and advances the per-row position counters. */
  void extend(int[] newMask, int t) {
    int s = length + t;
    int[] m = new int[batch * s];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(keyMask, b * length, m, b * s, length);
      for (int i = 0; i < t; i++) {
        m[b * s + length + i] = newMask[b * t + i];
        realTokens[b] += newMask[b * t + i];
      }
    }
    keyMask = m;
    length = s;
  }

  /** Appends this step's keys (B, Hkv, hd, T) and values (B, Hkv, T, hd) for a layer; returns the full ones. */
  NDArray[] append(int layer, NDArray kT, NDArray v) {
    if (keysT[layer] == null) {
      kT.attach(manager);
      v.attach(manager);
      keysT[layer] = kT;
      values[layer] = v;
    } else {
      NDArray k2 = keysT[layer].concat(kT, 3);
      NDArray v2 = values[layer].concat(v, 2);
      k2.attach(manager);
      v2.attach(manager);
      keysT[layer].close();
      values[layer].close();
      keysT[layer] = k2;
      values[layer] = v2;
    }
    return new NDArray[] {keysT[layer], values[layer]};
  }

  @Override
  public void close() {
    Arrays.fill(keysT, null);
    Arrays.fill(values, null);
    manager.close();
  }

  NDList arrays() {
    NDList l = new NDList();
    for (int i = 0; i < keysT.length; i++) {
      if (keysT[i] != null) {
        l.add(keysT[i]);
        l.add(values[i]);
      }
    }
    return l;
  }
}
