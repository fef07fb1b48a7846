package dev.odpo.generator;

import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Building {@code Sample} events: a drawn response with its prompt's context and its lineage. */
final class Samples {

    /**
     * What every sample of a batch says about where it came from.
     *
     * @param policyName    the policy sampled
     * @param policyVersion the snapshot version that produced the samples
     * @param generatorId   the generator instance
     * @param temperature   the sampling temperature
     * @param groupSize     N
     */
    record Lineage(String policyName, long policyVersion, String generatorId, double temperature, int groupSize) {
    }

    private Samples() {
    }

    /**
     * The group id of a consumed prompt: the prompt id and the record's place in the prompts topic. A batch
     * consumed again after a crash therefore writes the same ids, and a prompt sent twice gets two groups.
     */
    static String groupId(ConsumerRecord<String, Prompt> record) {
        return record.value().getPromptId() + "/" + record.partition() + "-" + record.offset();
    }

    /** The samples of one prompt's group, in index order. */
    static List<Sample> group(ConsumerRecord<String, Prompt> record, List<GroupSampler.Response> responses,
                              Lineage lineage, Instant createdAt) {
        Prompt prompt = record.value();
        String groupId = groupId(record);
        List<Sample> out = new ArrayList<>(responses.size());
        for (GroupSampler.Response r : responses) {
            List<Integer> ids = new ArrayList<>(r.generation().tokens().length);
            for (int id : r.generation().tokens()) {
                ids.add(id);
            }
            out.add(Sample.newBuilder()
                    .setSampleId(groupId + "/" + r.draw().indexInGroup())
                    .setPromptId(prompt.getPromptId())
                    .setGroupId(groupId)
                    .setCreatedAt(createdAt)
                    .setPromptText(prompt.getText())
                    .setResponseText(r.generation().text())
                    .setGroupSize(lineage.groupSize())
                    .setIndexInGroup(r.draw().indexInGroup())
                    .setPolicyName(lineage.policyName())
                    .setPolicyVersion(lineage.policyVersion())
                    .setSampler(r.draw().sampler())
                    .setPairSlot(r.draw().pairSlot())
                    .setLogprob(r.generation().logProb())
                    .setResponseTokenIds(ids)
                    .setFinishReason(r.generation().finishReason())
                    .setTemperature((float) lineage.temperature())
                    .setTask(prompt.getTask())
                    .setReferenceAnswer(prompt.getReferenceAnswer())
                    .setGeneratorId(lineage.generatorId())
                    .build());
        }
        return out;
    }
}
