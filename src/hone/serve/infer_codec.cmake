# The wire formats of inference (infer_codec.h): OIP v2 and MLflow request decoders
# (infer_decode_*.cc, sharing infer_values.h) and the response encoders (infer_encode.cc).
set(HONE_INFER_CODEC_SOURCES infer_values.cc infer_decode_oip.cc infer_decode_mlflow.cc
                             infer_decode_csv.cc infer_encode.cc)
list(APPEND HONE_SERVE_SOURCES ${HONE_INFER_CODEC_SOURCES})
list(APPEND HONE_SERVE_UNIT_TESTS infer_codec_test.cc infer_pii_test.cc)
list(APPEND HONE_SERVE_LIBS simdjson::simdjson FastFloat::fast_float)

# libFuzzer target for HTTP requests and their bodies (clang only; scripts/fuzz.sh builds and
# runs it). The codec is built into a library of its own so that the fuzz build does not depend
# on the rest of hone_serve.
if(HONE_BUILD_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES Clang)
  add_library(hone_infer_codec_fuzzing STATIC ${HONE_INFER_CODEC_SOURCES})
  target_link_libraries(hone_infer_codec_fuzzing PUBLIC hone_learn hone_core
                        PRIVATE simdjson::simdjson FastFloat::fast_float)
  hone_fuzz_target(hone_serve_fuzz serve_fuzz.cc hone_infer_codec_fuzzing)
  target_link_libraries(hone_serve_fuzz PRIVATE Boost::headers)
endif()
