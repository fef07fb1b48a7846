package dev.odpo.policy;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Where models run, parsed once from a setting or an option: {@code cpu}, {@code gpu} or {@code gpu:N}. */
public final class Devices {

    private Devices() {
    }

    /**
     * The device named by {@code spec}.
     *
     * @throws IllegalArgumentException for an unknown name, or a GPU that DJL's PyTorch engine cannot see
     *                                  (the CPU native library is loaded, or there are fewer GPUs)
     */
    public static Device parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("gpu") || s.matches("gpu:\\d+")) {
            int index = s.equals("gpu") ? 0 : Integer.parseInt(s.substring(4));
            int visible = Engine.getEngine("PyTorch").getGpuCount();
            if (visible <= index) {
                throw new IllegalArgumentException("no GPU " + index + " visible to DJL's PyTorch engine (" + visible
                        + " visible; the CPU native library may be loaded); see docs/model.md 'GPU' for the CUDA setup");
            }
            return Device.gpu(index);
        }
        throw new IllegalArgumentException("device must be cpu, gpu or gpu:N, got '" + spec + "'");
    }
}
