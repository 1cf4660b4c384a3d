package dev.chameleon.sensors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code nics}: one map per network interface under {@code /sys/class/net}, loopback excluded.
 *
 * <p>Keys (each absent when its source is): {@code name}; {@code mac} (from {@code address});
 * {@code driver} (the {@code device/driver} link: {@code virtio_net}, {@code vmxnet3},
 * {@code e1000}, {@code e1000e}, {@code ena}, {@code hv_netvsc}, {@code gve},
 * {@code mlx5_core}, {@code ixgbevf}…; absent for virtual interfaces); {@code pciAddress}
 * (nearest PCI function on the device path); {@code vendorId}, {@code deviceId},
 * {@code subsystemVendorId}, {@code subsystemDeviceId} (PCI ids as {@code 0x15ad}, of that
 * function; absent for non-PCI devices); {@code mtu} (long, bytes); {@code speedMbps} (long,
 * from {@code speed}; absent when the link is down or the driver reports none, which the kernel
 * shows as -1 or an error); {@code duplex}; {@code operstate} ({@code up}, {@code down},
 * {@code unknown}, … as the kernel says); {@code rxQueues}, {@code txQueues} (long, {@code rx-N}
 * and {@code tx-N} entries of {@code queues/}); {@code sriovVf} (boolean: a {@code device/physfn}
 * link exists, so this is an SR-IOV virtual function; only for PCI devices);
 * {@code sriovTotalVfs}, {@code sriovNumVfs} (long, on a physical function that supports
 * SR-IOV); {@code virtual} (boolean: no backing device).
 *
 * <p>All values are volatile (hotplug, link changes): nothing is cached.
 */
public final class NicsSensor implements Sensor {
    @Override
    public String name() {
        return "nics";
    }

    @Override
    public Object sense(SensorContext ctx) {
        List<Object> out = new ArrayList<>();
        for (String name : ctx.root().list("/sys/class/net")) {
            if (name.equals("lo")) {
                continue;
            }
            String base = "/sys/class/net/" + name;
            Map<String, Object> nic = new LinkedHashMap<>();
            nic.put("name", name);
            ctx.value(base + "/address").filter(s -> !s.isEmpty()).ifPresent(v -> nic.put("mac", v));
            ctx.root().linkName(base + "/device/driver").ifPresent(d -> nic.put("driver", d));
            boolean hasDevice = ctx.root().exists(base + "/device");
            Optional<String> pci = hasDevice
                    ? DeviceTree.real(ctx, base + "/device").flatMap(DeviceTree::pciAddress)
                    : Optional.empty();
            if (pci.isPresent()) {
                nic.put("pciAddress", pci.get());
                DeviceTree.pciIds(ctx, pci.get(), nic);
                String fn = "/sys/bus/pci/devices/" + pci.get();
                nic.put("sriovVf", ctx.root().exists(fn + "/physfn"));
                ctx.longValue(fn + "/sriov_totalvfs").ifPresent(v -> nic.put("sriovTotalVfs", v));
                ctx.longValue(fn + "/sriov_numvfs").ifPresent(v -> nic.put("sriovNumVfs", v));
            } else if (hasDevice) {
                DeviceTree.hex(ctx, base + "/device/vendor").ifPresent(v -> nic.put("vendorId", v));
                DeviceTree.hex(ctx, base + "/device/device").ifPresent(v -> nic.put("deviceId", v));
            }
            ctx.longValue(base + "/mtu").ifPresent(v -> nic.put("mtu", v));
            // speed and duplex read EINVAL (an I/O error) when the link is down: that is absence, not a problem
            ctx.root().readTrimmed(base + "/speed").flatMap(Sensors::parseLong).filter(v -> v > 0)
                    .ifPresent(v -> nic.put("speedMbps", v));
            ctx.root().readTrimmed(base + "/duplex").filter(s -> s.equals("full") || s.equals("half"))
                    .ifPresent(v -> nic.put("duplex", v));
            ctx.value(base + "/operstate").filter(s -> !s.isEmpty()).ifPresent(v -> nic.put("operstate", v));
            if (ctx.root().isDirectory(base + "/queues")) {
                List<String> q = ctx.root().list(base + "/queues");
                nic.put("rxQueues", q.stream().filter(s -> s.startsWith("rx-")).count());
                nic.put("txQueues", q.stream().filter(s -> s.startsWith("tx-")).count());
            }
            nic.put("virtual", !hasDevice);
            ctx.provenance("nics." + name, base);
            out.add(nic);
        }
        return out;
    }
}
