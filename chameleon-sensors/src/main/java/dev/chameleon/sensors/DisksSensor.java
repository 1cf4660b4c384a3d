package dev.chameleon.sensors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code disks}: one map per block device under {@code /sys/block}, except loop, ram and zram
 * devices.
 *
 * <p>Keys (each absent when its source is):
 * {@code name}; {@code sizeBytes} (long, {@code size} in 512-byte sectors × 512);
 * {@code rotational}, {@code removable} (boolean, {@code queue/rotational}, {@code removable});
 * {@code model}, {@code vendor}, {@code serial} (string, {@code device/model}, {@code device/vendor},
 * {@code serial} or {@code device/serial});
 * {@code scheduler} (the active I/O scheduler, the bracketed word of {@code queue/scheduler});
 * {@code schedulers} (list of the available ones); {@code readAheadKb}, {@code nrRequests}
 * (long, {@code queue/read_ahead_kb}, {@code queue/nr_requests}); {@code logicalBlockSize},
 * {@code physicalBlockSize} (long bytes); {@code hwQueues} (long, entries of {@code mq/});
 * {@code driver} (the storage driver found walking the device path up: {@code virtio_blk},
 * {@code virtio_scsi}, {@code vmw_pvscsi}, {@code nvme}, {@code ahci}, {@code ata_piix},
 * {@code xen-blkfront}, {@code hv_storvsc}, … else the nearest bound driver);
 * {@code deviceDriver} (the {@code device/driver} link itself, e.g. {@code sd});
 * {@code bus} ({@code virtio}, {@code scsi}, {@code nvme}, {@code ata}, {@code xen}, {@code vmbus},
 * {@code usb}, {@code mmc}, from the driver); {@code pciAddress} (nearest PCI function);
 * {@code virtio} (boolean: the name starts with {@code vd} or the driver is a virtio one).
 */
public final class DisksSensor implements Sensor {
    /** Storage drivers by name (as the sysfs driver link names them) → {bus, reported name}. */
    static final Map<String, String[]> STORAGE_DRIVERS = Map.ofEntries(
            Map.entry("virtio_blk", new String[] {"virtio", "virtio_blk"}),
            Map.entry("virtio_scsi", new String[] {"scsi", "virtio_scsi"}),
            Map.entry("vmw_pvscsi", new String[] {"scsi", "vmw_pvscsi"}),
            Map.entry("nvme", new String[] {"nvme", "nvme"}),
            Map.entry("ahci", new String[] {"ata", "ahci"}),
            Map.entry("ata_piix", new String[] {"ata", "ata_piix"}),
            Map.entry("vbd", new String[] {"xen", "xen-blkfront"}),
            Map.entry("xen-blkfront", new String[] {"xen", "xen-blkfront"}),
            Map.entry("hv_storvsc", new String[] {"vmbus", "hv_storvsc"}),
            Map.entry("mptspi", new String[] {"scsi", "mptspi"}),
            Map.entry("mptsas", new String[] {"scsi", "mptsas"}),
            Map.entry("mpt3sas", new String[] {"scsi", "mpt3sas"}),
            Map.entry("megaraid_sas", new String[] {"scsi", "megaraid_sas"}),
            Map.entry("BusLogic", new String[] {"scsi", "BusLogic"}),
            Map.entry("sym53c8xx", new String[] {"scsi", "sym53c8xx"}),
            Map.entry("ata_generic", new String[] {"ata", "ata_generic"}),
            Map.entry("pata_acpi", new String[] {"ata", "pata_acpi"}),
            Map.entry("usb-storage", new String[] {"usb", "usb-storage"}),
            Map.entry("uas", new String[] {"usb", "uas"}),
            Map.entry("mmcblk", new String[] {"mmc", "mmcblk"}),
            Map.entry("nvme-fc", new String[] {"nvme", "nvme-fc"}));

    @Override
    public String name() {
        return "disks";
    }

    @Override
    public Object sense(SensorContext ctx) {
        List<Object> out = new ArrayList<>();
        for (String name : ctx.root().list("/sys/block")) {
            if (name.startsWith("loop") || name.startsWith("ram") || name.startsWith("zram")) {
                continue;
            }
            String base = "/sys/block/" + name;
            Map<String, Object> disk = new LinkedHashMap<>();
            disk.put("name", name);
            ctx.longValue(base + "/size").ifPresent(v -> disk.put("sizeBytes", v * 512));
            bool(ctx, base + "/queue/rotational").ifPresent(v -> disk.put("rotational", v));
            bool(ctx, base + "/removable").ifPresent(v -> disk.put("removable", v));
            ctx.value(base + "/device/model").filter(s -> !s.isEmpty()).ifPresent(v -> disk.put("model", v));
            ctx.value(base + "/device/vendor").filter(s -> !s.isEmpty() && !s.startsWith("0x")).ifPresent(v -> disk.put("vendor", v));
            ctx.value(base + "/serial").or(() -> ctx.value(base + "/device/serial")).filter(s -> !s.isEmpty())
                    .ifPresent(v -> disk.put("serial", v));
            ctx.value(base + "/queue/scheduler").ifPresent(v -> {
                parseScheduler(v).ifPresent(s -> disk.put("scheduler", s));
                disk.put("schedulers", parseSchedulers(v));
            });
            ctx.longValue(base + "/queue/read_ahead_kb").ifPresent(v -> disk.put("readAheadKb", v));
            ctx.longValue(base + "/queue/nr_requests").ifPresent(v -> disk.put("nrRequests", v));
            ctx.longValue(base + "/queue/logical_block_size").ifPresent(v -> disk.put("logicalBlockSize", v));
            ctx.longValue(base + "/queue/physical_block_size").ifPresent(v -> disk.put("physicalBlockSize", v));
            if (ctx.root().isDirectory(base + "/mq")) {
                disk.put("hwQueues", ctx.root().list(base + "/mq").stream().filter(s -> s.matches("[0-9]+")).count());
            }
            Optional<String> deviceDriver = ctx.root().linkName(base + "/device/driver");
            Optional<String> real = DeviceTree.real(ctx, base);
            List<String> drivers = real.map(p -> DeviceTree.drivers(ctx, p)).orElse(List.of());
            Optional<String[]> storage = storageDriver(drivers);
            Optional<String> driver = storage.map(s -> s[1]).or(() -> drivers.stream().findFirst()).or(() -> deviceDriver);
            driver.ifPresent(d -> disk.put("driver", d));
            deviceDriver.ifPresent(d -> disk.put("deviceDriver", d));
            storage.ifPresent(s -> disk.put("bus", s[0]));
            real.flatMap(DeviceTree::pciAddress).ifPresent(a -> disk.put("pciAddress", a));
            disk.put("virtio", name.startsWith("vd") || driver.map(d -> d.startsWith("virtio")).orElse(false));
            ctx.provenance("disks." + name, base);
            out.add(disk);
        }
        return out;
    }

    /** The first storage driver among the drivers found walking up (nearest first). */
    static Optional<String[]> storageDriver(List<String> drivers) {
        for (String d : drivers) {
            String[] s = STORAGE_DRIVERS.get(d);
            if (s != null) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private static Optional<Boolean> bool(SensorContext ctx, String path) {
        Optional<String> v = ctx.value(path);
        if (v.isPresent() && !v.get().equals("0") && !v.get().equals("1")) {
            ctx.problem(path, "not 0 or 1: " + SensorContext.abbreviate(v.get()));
            return Optional.empty();
        }
        return v.map(s -> s.equals("1"));
    }

    /** The active scheduler in {@code queue/scheduler} text ({@code mq-deadline [none]} → {@code none}). */
    public static Optional<String> parseScheduler(String text) {
        int a = text.indexOf('[');
        int b = text.indexOf(']', a + 1);
        if (a >= 0 && b > a + 1) {
            return Optional.of(text.substring(a + 1, b));
        }
        String t = text.strip();
        return t.isEmpty() || t.contains(" ") ? Optional.empty() : Optional.of(t);
    }

    /** The available schedulers in {@code queue/scheduler} text, brackets removed. */
    public static List<String> parseSchedulers(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.strip().split("\\s+")) {
            w = w.replace("[", "").replace("]", "");
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }
}
