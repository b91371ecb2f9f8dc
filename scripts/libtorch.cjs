// Finds libtorch for node-gyp: $LIBTORCH (an unzipped official libtorch) or the system install
// (Debian/Ubuntu: apt-get install -y libtorch-dev). Prints one field for binding.gyp:
//   node scripts/libtorch.cjs include|libdir|cflags|ldflags|check
// The addon is compiled with OpenMP (-fopenmp): ATen's at::parallel_for is header-inline and runs serially in code
// built without it. It links the OpenMP runtime libtorch itself uses (the system libgomp, or the copy an official
// zip bundles in lib/), so the process has one thread pool.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function locate() {
  const root = process.env.LIBTORCH;
  if (root) {
    const include = path.join(root, 'include');
    if (!fs.existsSync(path.join(include, 'ATen', 'ATen.h'))) {
      return { error: `LIBTORCH=${root} does not look like an unzipped libtorch (no include/ATen/ATen.h)` };
    }
    // Official zips come in pre- and post-C++11-ABI builds; TorchConfig.cmake says which.
    let abi = null;
    const config = path.join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake');
    if (fs.existsSync(config)) {
      const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(fs.readFileSync(config, 'utf8'));
      if (m) abi = m[1];
    }
    const libdir = path.join(root, 'lib');
    const bundledOpenMp = fs.existsSync(libdir) ? fs.readdirSync(libdir).find((f) => /^libgomp.*\.so/.test(f)) : null;
    return {
      includes: [include, path.join(include, 'torch', 'csrc', 'api', 'include')],
      libdir,
      cflags: [...(abi === null ? [] : [`-D_GLIBCXX_USE_CXX11_ABI=${abi}`]), '-fopenmp'],
      ldflags: bundledOpenMp ? [path.join(libdir, bundledOpenMp)] : ['-fopenmp'],
    };
  }
  const systemIncludes = ['/usr/include', '/usr/local/include'];
  for (const inc of systemIncludes) {
    if (fs.existsSync(path.join(inc, 'ATen', 'ATen.h')) && fs.existsSync(path.join(inc, 'torch'))) {
      const libdirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/local/lib'];
      const libdir = libdirs.find((d) => fs.existsSync(path.join(d, 'libtorch_cpu.so')));
      if (libdir) {
        return {
          includes: [inc, path.join(inc, 'torch', 'csrc', 'api', 'include')],
          libdir,
          cflags: ['-fopenmp'],
          ldflags: ['-fopenmp'],
        };
      }
    }
  }
  return {
    error:
      'libtorch was not found.\n' +
      '  On Debian/Ubuntu:  sudo apt-get install -y libtorch-dev   (or run: bash scripts/setup.sh)\n' +
      '  Elsewhere:         download libtorch (CPU, cxx11 ABI) from https://pytorch.org/get-started/locally/,\n' +
      '                     unzip it and set LIBTORCH=/path/to/libtorch before npm install.',
  };
}

const found = locate();
const what = process.argv[2] || 'check';
if (found.error) {
  process.stderr.write(`cfinit: ${found.error}\n`);
  process.exit(1);
}
if (what === 'include') process.stdout.write(found.includes.join(' '));
else if (what === 'libdir') process.stdout.write(found.libdir);
else if (what === 'cflags') process.stdout.write(found.cflags.join(' '));
else if (what === 'ldflags') process.stdout.write(found.ldflags.join(' '));
else process.stdout.write(`libtorch: ${found.includes[0]} ${found.libdir}\n`);
