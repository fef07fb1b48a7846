package dev.odpo.generator;

import dev.odpo.events.SamplerKind;

/**
 * One response to draw for a prompt: its place in the prompt's group and the distribution it comes from.
 *
 * @param indexInGroup 0-based position within the group of N
 * @param sampler      π_θ ({@code POLICY}), or PILAF's π⁺ / π⁻
 * @param pairSlot     PILAF: the two draws of a pair share a slot (index / 2); null for vanilla sampling
 */
public record Draw(int indexInGroup, SamplerKind sampler, Integer pairSlot) {
}
