package dev.odpo.evaluator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.events.CheckpointAnnouncement;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    static CheckpointAnnouncement.Builder announcement() {
        return CheckpointAnnouncement.newBuilder().setAnnouncementId("a1").setPolicyName("policy").setVersion(7)
                .setCreatedAt(Instant.now()).setUri("file:///checkpoints/policy/v7").setSha256("ab".repeat(32)).setStep(70);
    }

    @Test
    void aValidAnnouncementHasNoProblems() {
        assertThat(Evaluator.problems("policy", announcement().build())).isEmpty();
    }

    @Test
    void malformedAnnouncementsAreRefusedWithTheReason() {
        assertThat(Evaluator.problems("policy", announcement().setSha256("abc").build()))
                .containsExactly("sha256 must be 64 lower-case hex digits, was 'abc'");
        assertThat(Evaluator.problems("other", announcement().build()))
                .containsExactly("record key 'other' differs from policy_name 'policy'");
        assertThat(Evaluator.problems("policy", announcement().setUri(" ").setVersion(-2).build()))
                .containsExactly("uri is missing or blank", "version must not be negative, was -2");
    }
}
