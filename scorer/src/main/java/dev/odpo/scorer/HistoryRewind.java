package dev.odpo.scorer;

import dev.odpo.kafka.config.KafkaSettings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-scoring the retained history: sets a consumer group's committed offsets on a topic to the earliest
 * offset each partition still holds, as {@code kafka-consumer-groups --reset-offsets --to-earliest} does.
 * Kafka allows it only while the group has no running member, so a second instance started with the same
 * flag joins the group where it is instead of rewinding it again under the first.
 */
final class HistoryRewind {

    private static final Logger log = LoggerFactory.getLogger(HistoryRewind.class);
    private static final long TIMEOUT_S = 30;

    private HistoryRewind() {
    }

    /** What the rewind did: the offsets it set per partition, or empty when the group was running. */
    record Result(boolean rewound, Map<TopicPartition, Long> offsets) {
    }

    static Result toEarliest(KafkaSettings kafka, String groupId, String topic) {
        try (Admin admin = Admin.create(kafka.admin("scorer-rewind"))) {
            if (!members(admin, groupId).isEmpty()) {
                log.warn("group {} has running members {}: joining it where it is instead of rewinding to the "
                        + "earliest retained sample", groupId, members(admin, groupId));
                return new Result(false, Map.of());
            }
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(TIMEOUT_S, TimeUnit.SECONDS).get(topic);
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            description.partitions().forEach(p -> earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> found = admin.listOffsets(earliest).all()
                    .get(TIMEOUT_S, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            Map<TopicPartition, Long> set = new HashMap<>();
            found.forEach((tp, info) -> {
                offsets.put(tp, new OffsetAndMetadata(info.offset()));
                set.put(tp, info.offset());
            });
            admin.alterConsumerGroupOffsets(groupId, offsets).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            log.info("group {} rewound to the earliest retained samples of {}: {}", groupId, topic, set);
            return new Result(true, Map.copyOf(set));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            if (cause instanceof UnknownTopicOrPartitionException) {
                // the topic is created after the service is built: no history yet, nothing to re-score
                log.info("{} does not exist yet: no samples to re-score", topic);
                return new Result(false, Map.of());
            }
            throw new KafkaException("cannot rewind consumer group " + groupId + " on " + topic + ": " + cause, cause);
        }
    }

    private static List<String> members(Admin admin, String groupId)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(groupId)).all()
                    .get(TIMEOUT_S, TimeUnit.SECONDS).get(groupId);
            return group.members().stream().map(m -> m.consumerId()).toList();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return List.of();
            }
            throw e;
        }
    }
}
