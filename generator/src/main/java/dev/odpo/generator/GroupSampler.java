package dev.odpo.generator;

import dev.odpo.events.SamplerKind;
import dev.odpo.model.Decoder;
import dev.odpo.model.Generation;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Samples the groups of a batch of prompts: N responses per prompt, decoded together. The draws of every
 * prompt are planned first ({@link DrawPlan}); then all rows of one distribution — π_θ, π⁺ or π⁻ — go through
 * one batched KV-cache decode, so a batch costs at most three decodes whatever its size. Every response's
 * log-probability is under π_θ at temperature 1, whichever distribution drew it.
 */
public final class GroupSampler {

    /** One drawn response of a group. */
    public record Response(Draw draw, Generation generation) {
    }

    private static final List<SamplerKind> DECODE_ORDER =
            List.of(SamplerKind.POLICY, SamplerKind.PILAF_PLUS, SamplerKind.PILAF_MINUS);

    private GroupSampler() {
    }

    /**
     * The groups of {@code prompts}, in prompt order, each in index order.
     *
     * @param prompts token ids of each prompt, rendered for {@code serving}'s policy
     * @param rng     the batch's random source: first the draw plan, then each decode in a fixed order
     */
    public static List<List<Response>> sample(ServingPolicy serving, SamplingPlan plan, List<int[]> prompts, Random rng) {
        int n = plan.n();
        List<List<Draw>> draws = new ArrayList<>(prompts.size());
        for (int p = 0; p < prompts.size(); p++) {
            draws.add(DrawPlan.of(plan.sampler(), n, rng));
        }
        Response[][] groups = new Response[prompts.size()][n];
        for (SamplerKind kind : DECODE_ORDER) {
            List<int[]> rows = new ArrayList<>();
            List<int[]> where = new ArrayList<>();   // (prompt, index in group) of each row
            for (int p = 0; p < prompts.size(); p++) {
                for (Draw d : draws.get(p)) {
                    if (d.sampler() == kind) {
                        rows.add(prompts.get(p));
                        where.add(new int[] {p, d.indexInGroup()});
                    }
                }
            }
            if (rows.isEmpty()) {
                continue;
            }
            List<Generation> generated = decoder(serving, plan, kind).generate(rows, plan.options(), rng);
            for (int r = 0; r < rows.size(); r++) {
                int p = where.get(r)[0];
                int i = where.get(r)[1];
                groups[p][i] = new Response(draws.get(p).get(i), generated.get(r));
            }
        }
        List<List<Response>> out = new ArrayList<>(prompts.size());
        for (Response[] g : groups) {
            out.add(List.of(g));
        }
        return out;
    }

    private static Decoder decoder(ServingPolicy serving, SamplingPlan plan, SamplerKind kind) {
        return switch (kind) {
            case POLICY -> serving.policyDecoder();
            case PILAF_PLUS -> serving.pilafDecoder(plan.beta(), true);
            case PILAF_MINUS -> serving.pilafDecoder(plan.beta(), false);
            default -> throw new IllegalArgumentException("no decoder for sampler " + kind);
        };
    }

    /** Generated tokens of a batch's responses, for throughput figures. */
    static long tokens(List<List<Response>> groups) {
        return groups.stream().flatMap(List::stream).mapToLong(r -> r.generation().tokens().length).sum();
    }
}
