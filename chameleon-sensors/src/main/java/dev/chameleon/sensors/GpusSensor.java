package dev.chameleon.sensors;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code gpus}: one map per PCI display controller (class {@code 0x03xxxx}) under
 * {@code /sys/bus/pci/devices}.
 *
 * <p>Keys: {@code pciAddress}; {@code kind} ({@code vga}, {@code xga}, {@code 3d},
 * {@code display}, from the class's subclass byte); {@code vendorId}, {@code deviceId},
 * {@code subsystemVendorId}, {@code subsystemDeviceId} ({@code 0x10de}); {@code vendor} and
 * {@code model} (names from the {@code pci.ids} database under the root,
 * {@code /usr/share/misc/pci.ids} or {@code /usr/share/hwdata/pci.ids}, else from the built-in
 * {@code gpu-models.tsv}; absent when neither knows the id); {@code modelSource}
 * ({@code pci.ids} or {@code builtin}); {@code driver} (the bound driver: {@code nvidia},
 * {@code nouveau}, {@code amdgpu}, {@code vfio-pci}, {@code bochs-drm}…; absent when none is
 * bound); {@code migMode} ({@code enabled}/{@code disabled}, NVIDIA only, from
 * {@code nvidia-smi --query-gpu=pci.bus_id,mig.mode.current --format=csv,noheader}; absent when
 * the command is missing, fails, or says N/A). The list is empty when the machine has no GPU.
 */
public final class GpusSensor implements Sensor {
    static final List<String> PCI_IDS = List.of("/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids");
    static final Command NVIDIA_SMI_MIG = Command.named("nvidia-smi-mig",
            "nvidia-smi", "--query-gpu=pci.bus_id,mig.mode.current", "--format=csv,noheader");
    private static final int MAX_PCI_IDS = 16 << 20;

    @Override
    public String name() {
        return "gpus";
    }

    @Override
    public Object sense(SensorContext ctx) {
        List<Map<String, Object>> gpus = new ArrayList<>();
        for (String addr : ctx.root().list("/sys/bus/pci/devices")) {
            String base = "/sys/bus/pci/devices/" + addr;
            Optional<String> cls = DeviceTree.hex(ctx, base + "/class");
            if (cls.isEmpty() || !cls.get().startsWith("0x03") || cls.get().length() != 8) {
                continue;
            }
            Map<String, Object> gpu = new LinkedHashMap<>();
            gpu.put("pciAddress", addr);
            gpu.put("kind", switch (cls.get().substring(4, 6)) {
                case "00" -> "vga";
                case "01" -> "xga";
                case "02" -> "3d";
                default -> "display";
            });
            DeviceTree.pciIds(ctx, addr, gpu);
            ctx.root().linkName(base + "/driver").ifPresent(d -> gpu.put("driver", d));
            ctx.provenance("gpus." + addr, base);
            gpus.add(gpu);
        }
        if (gpus.isEmpty()) {
            return List.of();
        }
        name(ctx, gpus);
        if (gpus.stream().anyMatch(g -> "0x10de".equals(g.get("vendorId")) && "nvidia".equals(g.get("driver")))) {
            CommandResult r = ctx.run(NVIDIA_SMI_MIG, Duration.ofSeconds(5));
            if (r.ok()) {
                Map<String, String> mig = parseMigModes(r.stdout());
                for (Map<String, Object> g : gpus) {
                    String m = mig.get(String.valueOf(g.get("pciAddress")));
                    if (m != null) {
                        g.put("migMode", m);
                        ctx.provenance("gpus." + g.get("pciAddress") + ".migMode", r.source());
                    }
                }
            } else if (r.status() == CommandResult.Status.RAN) {
                // a timeout or a failure to start is noted by ctx.run itself
                ctx.problem(r.source(), "exit " + r.exitCode() + (r.stderr().isBlank() ? "" : ": " + r.stderr().strip()));
            }
        }
        return gpus;
    }

    private static void name(SensorContext ctx, List<Map<String, Object>> gpus) {
        for (String db : PCI_IDS) {
            Optional<byte[]> bytes = ctx.root().readBytes(db, MAX_PCI_IDS);
            if (bytes.isPresent()) {
                String text = new String(bytes.get(), StandardCharsets.UTF_8);
                for (Map<String, Object> g : gpus) {
                    lookupPciIds(text, id(g.get("vendorId")), id(g.get("deviceId"))).ifPresent(n -> {
                        g.put("vendor", n[0]);
                        if (n[1] != null) {
                            g.put("model", n[1]);
                        }
                        g.put("modelSource", "pci.ids");
                        ctx.provenance("gpus." + g.get("pciAddress") + ".model", db);
                    });
                }
                break;
            }
        }
        Map<String, String[]> builtin = builtin();
        for (Map<String, Object> g : gpus) {
            if (g.containsKey("model")) {
                continue;
            }
            String[] n = builtin.get(id(g.get("vendorId")) + ":" + id(g.get("deviceId")));
            if (n != null) {
                g.put("vendor", n[0]);
                g.put("model", n[1]);
                g.put("modelSource", "builtin");
            }
        }
    }

    private static String id(Object hex) {
        return hex == null ? "" : hex.toString().replaceFirst("^0x", "").toLowerCase(Locale.ROOT);
    }

    /** The built-in table {@code gpu-models.tsv}: {@code "10de:20b0"} → {vendor, model}. */
    static Map<String, String[]> builtin() {
        Map<String, String[]> out = new HashMap<>();
        try (InputStream in = GpusSensor.class.getResourceAsStream("gpu-models.tsv")) {
            if (in == null) {
                throw new IllegalStateException("gpu-models.tsv missing from the jar");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t");
                if (f.length != 4) {
                    throw new IllegalStateException("gpu-models.tsv: want 4 tab-separated fields: " + line);
                }
                out.put(f[0] + ":" + f[1], new String[] {f[2], f[3]});
            }
        } catch (IOException e) {
            throw new IllegalStateException("gpu-models.tsv unreadable", e);
        }
        return out;
    }

    /**
     * Looks a vendor and device up in {@code pci.ids} text: vendor lines start in column 0
     * ({@code 10de  NVIDIA Corporation}), their devices follow after one tab
     * ({@code \t20b0  GA100 [A100 SXM4 40GB]}). Returns {vendor name, device name or null}.
     */
    public static Optional<String[]> lookupPciIds(String text, String vendor, String device) {
        String vendorName = null;
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (vendorName == null) {
                if (!line.startsWith("\t") && line.length() > 6 && line.substring(0, 4).equalsIgnoreCase(vendor)
                        && line.charAt(4) == ' ') {
                    vendorName = line.substring(4).strip();
                }
                continue;
            }
            if (!line.startsWith("\t")) {
                break;
            }
            if (!line.startsWith("\t\t") && line.length() > 6 && line.substring(1, 5).equalsIgnoreCase(device)
                    && line.charAt(5) == ' ') {
                return Optional.of(new String[] {vendorName, line.substring(5).strip()});
            }
        }
        return vendorName == null ? Optional.empty() : Optional.of(new String[] {vendorName, null});
    }

    /**
     * {@code nvidia-smi --query-gpu=pci.bus_id,mig.mode.current --format=csv,noheader} output
     * ({@code 00000000:07:00.0, Enabled}) → {@code "0000:07:00.0" → "enabled"}; N/A rows left out.
     */
    public static Map<String, String> parseMigModes(String csv) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : csv.split("\n")) {
            String[] f = line.split(",");
            if (f.length != 2) {
                continue;
            }
            String bus = f[0].strip().toLowerCase(Locale.ROOT);
            String mode = f[1].strip().toLowerCase(Locale.ROOT);
            if (bus.length() >= 12 && (mode.equals("enabled") || mode.equals("disabled"))) {
                out.put(bus.substring(bus.length() - 12), mode);
            }
        }
        return out;
    }
}
