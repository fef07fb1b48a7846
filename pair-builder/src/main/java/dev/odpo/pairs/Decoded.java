package dev.odpo.pairs;

/** An input event decoded from its topic, with the raw bytes kept for a dead letter later on. */
record Decoded<V>(V value, byte[] raw) {}
