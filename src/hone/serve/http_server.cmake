# The HTTP/1.1 front of `hone serve` (Boost.Beast on Asio): http_server.cc (the server, its
# acceptor and I/O threads), http_connection.cc (one keep-alive connection), http_response.cc
# (the bytes of a response head).
list(APPEND HONE_SERVE_SOURCES http_server.cc http_connection.cc http_response.cc)
list(APPEND HONE_SERVE_TESTS http_server_test.cc)
list(APPEND HONE_SERVE_LIBS Boost::headers)
