# The HTTP/1.1 front of `hone serve` (Boost.Beast on Asio): http_server.cc (the server, its
# acceptor and I/O threads), http_connection.cc (one keep-alive connection, plain or TLS),
# http_response.cc (the bytes of a response head), tls_context.cc (OpenSSL's configuration).
list(APPEND HONE_SERVE_SOURCES http_server.cc http_connection.cc http_response.cc tls_context.cc)
list(APPEND HONE_SERVE_TESTS http_server_test.cc tls_server_test.cc)
list(APPEND HONE_SERVE_LIBS Boost::headers OpenSSL::SSL OpenSSL::Crypto)

# testing/tls_test_cert.h: a self-signed certificate for tests of any HTTPS server or client.
add_library(hone_tls_test_cert INTERFACE)
target_link_libraries(hone_tls_test_cert INTERFACE hone_core OpenSSL::Crypto)
