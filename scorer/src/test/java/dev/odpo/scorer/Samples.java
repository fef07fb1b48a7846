package dev.odpo.scorer;

import dev.odpo.events.Sample;
import java.time.Instant;
import java.util.List;

/** Sample events for tests. */
final class Samples {

    private Samples() {
    }

    static Sample.Builder sample() {
        return Sample.newBuilder().setSampleId("s1").setPromptId("p1").setGroupId("g1").setCreatedAt(Instant.now())
                .setPromptText("What is 2+2?").setResponseText("4").setGroupSize(4).setIndexInGroup(0)
                .setPolicyName("policy").setPolicyVersion(3).setLogprob(-1.5).setFinishReason("eos");
    }

    /** A sample of the built-in task: its family and reference answer let the verifier check it. */
    static Sample task(String id, String family, String prompt, String answer, String response) {
        return sample().setSampleId(id).setPromptText(prompt).setResponseText(response).setTask(family)
                .setReferenceAnswer(answer).build();
    }

    static Sample plain(String id, String prompt, String response) {
        return sample().setSampleId(id).setPromptText(prompt).setResponseText(response).build();
    }

    static Sample withTokens(String id, String response, List<Integer> ids) {
        return sample().setSampleId(id).setResponseText(response).setResponseTokenIds(ids).build();
    }
}
