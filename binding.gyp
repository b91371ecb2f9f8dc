{
  "targets": [
    {
      "target_name": "cfinit_native",
      "sources": [
        "native/addon.cc",
        "native/tensor.cc",
        "native/generator.cc",
        "native/ops.cc",
        "native/runtime.cc",
        "native/optim.cc",
        "native/attention.cc",
        "native/spectral.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.cjs include)"
      ],
      "defines": ["NAPI_EXPERIMENTAL", "NODE_ADDON_API_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-frtti", "-Wno-unused-parameter", "<!@(node scripts/libtorch.cjs cflags)"],
      "libraries": [
        "-L<!(node scripts/libtorch.cjs libdir)",
        "-Wl,-rpath,<!(node scripts/libtorch.cjs libdir)",
        "-Wl,--no-as-needed",
        "-ltorch",
        "-ltorch_cpu",
        "-lc10",
        "<!@(node scripts/libtorch.cjs ldflags)"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_ENABLE_CPP_RTTI": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
