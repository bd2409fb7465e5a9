// A self-signed certificate for tests of HTTPS servers and clients, made with OpenSSL's C API
// (no `openssl` binary needed). Link hone_tls_test_cert.
//
//   HONE_ASSIGN_OR_RETURN(auto cert, serve::testing::WriteSelfSignedCert(dir));
//   options.tls_cert_file = cert.cert_path;  options.tls_key_file = cert.key_path;
//   // a client trusts cert.cert_path (curl --cacert) and reaches https://127.0.0.1:PORT
#ifndef HONE_SERVE_TESTING_TLS_TEST_CERT_H_
#define HONE_SERVE_TESTING_TLS_TEST_CERT_H_

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hone/core/error.h"

namespace hone::serve::testing {

struct TestCertificate {
  std::string cert_path;  // PEM certificate: CN=localhost, names localhost, 127.0.0.1 and ::1
  std::string key_path;   // PEM private key (P-256), not encrypted
};

namespace tls_test_cert_internal {

struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct FreeCert {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct CloseFile {
  void operator()(FILE* file) const { std::fclose(file); }
};

inline bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return added;
}

}  // namespace tls_test_cert_internal

/// Writes `dir`/cert.pem and `dir`/key.pem (`dir` must exist): a new P-256 key and a
/// certificate signed by it, valid from an hour ago for `days`. kInternal when OpenSSL fails,
/// kIo when a file cannot be written.
inline Result<TestCertificate> WriteSelfSignedCert(const std::filesystem::path& dir, int days = 2) {
  using namespace tls_test_cert_internal;
  TestCertificate out{(dir / "cert.pem").string(), (dir / "key.pem").string()};
  std::unique_ptr<EVP_PKEY, FreeKey> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, FreeCert> cert(X509_new());
  if (!key || !cert) return Fail(ErrorCode::kInternal, "OpenSSL cannot make a test key");
  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool made =
      X509_set_version(cert.get(), 2) == 1 &&
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * days) != nullptr &&
      X509_set_pubkey(cert.get(), key.get()) == 1 &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1 &&
      AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") &&
      AddExtension(cert.get(), NID_subject_key_identifier, "hash") &&
      AddExtension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") &&
      X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!made) return Fail(ErrorCode::kInternal, "OpenSSL cannot make a test certificate");

  std::unique_ptr<FILE, CloseFile> cert_file(std::fopen(out.cert_path.c_str(), "wb"));
  if (!cert_file || PEM_write_X509(cert_file.get(), cert.get()) != 1) {
    return Fail(ErrorCode::kIo, "cannot write " + out.cert_path);
  }
  std::unique_ptr<FILE, CloseFile> key_file(std::fopen(out.key_path.c_str(), "wb"));
  if (!key_file ||
      PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Fail(ErrorCode::kIo, "cannot write " + out.key_path);
  }
  if (std::fflush(cert_file.get()) != 0 || std::fflush(key_file.get()) != 0) {
    return Fail(ErrorCode::kIo, "cannot write " + out.cert_path + " and " + out.key_path);
  }
  return out;
}

}  // namespace hone::serve::testing

#endif  // HONE_SERVE_TESTING_TLS_TEST_CERT_H_
