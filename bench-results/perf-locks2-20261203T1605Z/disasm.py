import re, sys, subprocess
# Extracts the [MachCode] hex of the n-th C2 nmethod in a PrintAssembly log (no hsdis) and disassembles it with objdump.
text = open(sys.argv[1]).read()
idx = int(sys.argv[2]) if len(sys.argv) > 2 else 0
parts = text.split("C2-compiled nmethod")
part = parts[1 + idx]
mc = part.split("[MachCode]")[1].split("[/MachCode]")[0]
data = bytearray(); start = None; comments = {}
for line in mc.splitlines():
    m = re.match(r"\s*(0x[0-9a-f]+): (.*)", line)
    if not m: continue
    addr = int(m.group(1), 16); rest = m.group(2)
    if rest.lstrip().startswith(";"):
        comments.setdefault(addr, []).append(rest.strip()); continue
    hexes = re.findall(r"[0-9a-f]{2,8}", rest.split(";")[0])
    if start is None: start = addr
    if addr != start + len(data):
        continue
    for h in hexes:
        data += bytes.fromhex(h)
open("/tmp/plb/code.bin", "wb").write(data)
out = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-M", "intel", "--adjust-vma=%#x" % start, "/tmp/plb/code.bin"], capture_output=True, text=True).stdout
for l in out.splitlines():
    m = re.match(r"\s*([0-9a-f]+):", l)
    if m and int(m.group(1), 16) in comments:
        for c in comments[int(m.group(1), 16)]: print("        " + c[:150])
    print(l)
