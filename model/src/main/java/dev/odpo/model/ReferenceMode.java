package dev.odpo.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which policy π_ref is in the DPO loss.
 *
 * <ul>
 *   <li>{@code initial}: π0, fixed for the whole run — every version is regularised towards the warm start.</li>
 *   <li>{@code previous}: the last published snapshot, replaced each time a version is published — each
 *       iteration is regularised towards the one before, as the online iterative recipe of "RLHF Workflow:
 *       From Reward Modeling to Online RLHF" (arXiv:2405.07863) does.</li>
 * </ul>
 */
public enum ReferenceMode {
  INITIAL, PREVIOUS;

  /** The setting's spelling: initial, previous. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The mode named {@code name}; an unknown name fails with the names that exist. */
  public static ReferenceMode parse(String name) {
    for (ReferenceMode m : values()) {
      if (m.label().equals(name == null ? null : name.trim().toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown reference '" + name + "'; expected one of "
        + String.join(", ", Arrays.stream(values()).map(ReferenceMode::label).toList()));
  }
}
