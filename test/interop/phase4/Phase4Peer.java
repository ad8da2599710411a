// A phase4 4.4.1 peer for Facteur's interop tests: the reference Peppol AS4 implementation on loopback, with a
// local test CA instead of OpenPeppol's (test/phase4.ts resolves phase4 with Maven and compiles this file).
//
//   receive --port P --keystore X.p12 --password-file F [--alias A] --trust CA.pem --trust-root ROOT.pem
//           --seat POP000002 --out DIR [--serves DOCTYPE,DOCTYPE…]
//     An AS4 endpoint at http://127.0.0.1:P/as4 (P = 0: any free port). Prints {"listening":"<url>"} once ready.
//     With --serves (document type ids, busdox-docid-qns::…), another document type is refused as a Peppol receiver
//     refuses what it does not serve: EBMS:0004 with the ErrorDetail PEPPOL:NOT_SERVICED.
//     Each request gets a folder DIR/NNNN with request.json + request.body (as received, before phase4 reads it),
//     payload.xml (the decrypted, decompressed SBDH) and ebms.json (the ebMS values and the peer's verdict) when
//     phase4 got as far as the user message, and response.json + response.body (the receipt or the error).
//     One summary line per request is appended to DIR/exchanges.jsonl.
//   send --url U --keystore X.p12 --password-file F [--alias A] --trust CA.pem --trust-root ROOT.pem
//        --receiver-cert R.pem --sbdh FILE --sender-seat POP000001 --out DIR [--message-id ID]
//   send --smp-url S --smp-trust SMPCA.pem (instead of --url and --receiver-cert) …
//     Sends the SBDH as it is (its identifiers, read by phase4's own SBDH reader, fill the ebMS header) to U,
//     encrypted for R (no SMP lookup), or to the endpoint and certificate that the SMP at S publishes for the
//     SBDH's receiver, document type and process (the SMP's signature checked against SMPCA), and checks the answer. Writes request.json + request.body (what phase4
//     sent) and response.json + response.body (what came back) to DIR, prints one JSON line with the outcome and
//     exits 0 when a receipt came back, signed by a certificate of the trusted CA, that covers what was sent.
//
// Trust, as phase4 does it for Peppol: --trust holds the CA(s) whose access point certificates are accepted
// (TrustedCAChecker: the signer's issuer must be one of them), --trust-root the root(s) they chain to. WSS4J
// validates a signer's chain as [signer, its issuer from the trust store] up to a trust anchor, so the trust
// store needs the root as well (an AP CA alone is no anchor for a path that contains it: "Path does not chain
// with any of the trust anchors"); phase4's own Peppol trust stores likewise hold OpenPeppol's root and CAs.
//
// Written for the tests against the API of the 4.4.1 jars (javap, and their sources read for behaviour); not copied.
import com.helger.base.state.ETriState;
import com.helger.collection.commons.CommonsArrayList;
import com.helger.collection.commons.ICommonsList;
import com.helger.http.header.HttpHeaderMap;
import com.helger.mime.IMimeType;
import com.helger.peppol.sbdh.PeppolSBDHData;
import com.helger.peppol.sbdh.PeppolSBDHDataReader;
import com.helger.peppolid.factory.PeppolIdentifierFactory;
import com.helger.phase4.attachment.IAS4IncomingAttachmentFactory;
import com.helger.phase4.attachment.WSS4JAttachment;
import com.helger.phase4.crypto.AS4CryptoFactoryInMemoryKeyStore;
import com.helger.phase4.crypto.IAS4CryptoFactory;
import com.helger.phase4.dump.IAS4OutgoingDumper;
import com.helger.phase4.ebms3header.Ebms3Error;
import com.helger.phase4.ebms3header.Ebms3Property;
import com.helger.phase4.ebms3header.Ebms3SignalMessage;
import com.helger.phase4.ebms3header.Ebms3UserMessage;
import com.helger.phase4.error.AS4ErrorList;
import com.helger.phase4.incoming.AS4IncomingMessageMetadata;
import com.helger.phase4.incoming.AS4IncomingProfileSelectorConstant;
import com.helger.phase4.incoming.AS4IncomingReceiverConfiguration;
import com.helger.phase4.incoming.AS4RequestHandler;
import com.helger.phase4.incoming.IAS4IncomingMessageMetadata;
import com.helger.phase4.incoming.IAS4IncomingMessageState;
import com.helger.phase4.incoming.IAS4ResponseAbstraction;
import com.helger.phase4.incoming.crypto.AS4IncomingSecurityConfiguration;
import com.helger.phase4.incoming.spi.AS4MessageProcessorResult;
import com.helger.phase4.incoming.spi.AS4SignalMessageProcessorResult;
import com.helger.phase4.incoming.spi.IAS4IncomingMessageProcessorSPI;
import com.helger.phase4.messaging.EAS4MessageMode;
import com.helger.phase4.messaging.http.HttpRetrySettings;
import com.helger.phase4.mgr.MetaAS4Manager;
import com.helger.phase4.model.error.EEbmsError;
import com.helger.phase4.model.pmode.IPMode;
import com.helger.phase4.model.pmode.resolve.AS4DefaultPModeResolver;
import com.helger.phase4.peppol.Phase4PeppolSender;
import com.helger.phase4.profile.peppol.AS4PeppolProfileRegistarSPI;
import com.helger.phase4.sender.EAS4UserMessageSendResult;
import com.helger.phase4.sender.IAS4SignalMessageValidationResultHandler;
import com.helger.scope.mgr.ScopeManager;
import com.helger.security.certificate.ECertificateCheckResult;
import com.helger.security.certificate.TrustedCAChecker;
import com.helger.smpclient.peppol.SMPClientReadOnly;
import com.helger.security.revocation.CertificateRevocationCheckerDefaults;
import com.helger.security.revocation.ERevocationCheckMode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.w3c.dom.Node;

public final class Phase4Peer {
  /** phase4's Peppol profile ("peppol"): its PMode template, algorithms and message checks. */
  static final String PROFILE = AS4PeppolProfileRegistarSPI.AS4_PROFILE_ID;

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || !(args[0].equals("receive") || args[0].equals("send"))) {
      System.err.println("usage: Phase4Peer receive|send --option value ... (see the comment at the top of Phase4Peer.java)");
      System.exit(2);
    }
    Options options = new Options(args);
    // A local test CA has no OCSP responder and no CRL, so revocation is not checked (phase4's default is OCSP, then
    // CRL). This global default is what phase4's own checks fall back to, e.g. the sender's check of the receiver.
    CertificateRevocationCheckerDefaults.setRevocationCheckMode(ERevocationCheckMode.NONE);
    // phase4 keeps its managers (profiles, PModes, duplicate detection) in a global scope, which a servlet
    // container would otherwise open; creating them now also makes a broken classpath fail at start-up.
    ScopeManager.onGlobalBegin("phase4-peer");
    MetaAS4Manager.getInstance();
    if (args[0].equals("receive")) new Receiver(options).start();
    else System.exit(new Sender(options).send());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Receiving

  static final class Receiver {
    final Identity identity;
    final List<X509Certificate> trusted;
    final IAS4CryptoFactory crypto;
    final TrustedCAChecker apCAChecker;
    final String seat;
    final Path out;
    final int port;
    final List<String> serves;
    final AtomicInteger sequence = new AtomicInteger();
    String url;

    Receiver(Options o) throws Exception {
      identity = Identity.load(o.path("keystore"), o.path("password-file"), o.optional("alias"));
      trusted = readCertificates(o.path("trust"));
      // WSS4J checks the signer's chain against this trust store; the key decrypts and signs the receipt.
      crypto = new AS4CryptoFactoryInMemoryKeyStore(identity.keyStore, identity.alias, identity.password, trustStore(o, trusted));
      // What phase4-peppol-servlet does with OpenPeppol's AP CAs, here with the given CA: the signer of a user
      // message must hold an AP certificate issued by it, valid now (revocation not checked, see main).
      apCAChecker = new TrustedCAChecker(trusted.toArray(new X509Certificate[0]));
      seat = o.required("seat");
      out = Files.createDirectories(o.path("out"));
      port = Integer.parseInt(o.required("port"));
      String served = o.optional("serves");
      serves = served == null ? null : List.of(served.split(","));
    }

    void start() throws IOException {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
      server.createContext("/as4", this::handle);
      server.start(); // one dispatcher thread: requests are handled one at a time, in order
      url = "http://127.0.0.1:" + server.getAddress().getPort() + "/as4";
      System.out.println(json(Map.of("listening", url)));
      System.out.flush();
    }

    void handle(HttpExchange exchange) throws IOException {
      int seq = sequence.incrementAndGet();
      Path dir = Files.createDirectories(out.resolve(String.format("%04d", seq)));
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("seq", seq);
      summary.put("dir", dir.toString());
      try (exchange) {
        byte[] body = exchange.getRequestBody().readAllBytes();
        // Kept exactly as received, before phase4 parses anything: this is what a Facteur sender put on the wire.
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("method", exchange.getRequestMethod());
        request.put("uri", exchange.getRequestURI().toString());
        request.put("headers", exchange.getRequestHeaders());
        Files.write(dir.resolve("request.json"), json(request).getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve("request.body"), body);

        CapturedResponse response = new CapturedResponse();
        Verdict verdict = new Verdict();
        if (!exchange.getRequestMethod().equals("POST")) response.fail(405, "POST an AS4 message here");
        else process(exchange, body, dir, response, verdict);

        // Kept exactly as it is sent: the receipt (or ebMS error) that a Facteur sender must read and verify.
        response.write(dir);
        response.send(exchange);
        summary.put("status", response.status);
        summary.put("messageId", verdict.messageId);
        summary.put("accepted", verdict.accepted);
        summary.put("refusal", verdict.refusal);
      } catch (Exception e) {
        summary.put("exception", describe(e));
        e.printStackTrace();
      }
      Files.write(out.resolve("exchanges.jsonl"), (json(summary) + "\n").getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Runs phase4's AS4 handler as phase4-lib's servlet handler would, with this peer's configuration. */
    void process(HttpExchange exchange, byte[] body, Path dir, CapturedResponse response, Verdict verdict) {
      HttpHeaderMap headers = new HttpHeaderMap();
      exchange.getRequestHeaders().forEach((name, values) -> values.forEach(v -> headers.addHeader(name, v)));
      AS4IncomingMessageMetadata metadata = AS4IncomingMessageMetadata.createForRequest()
          .setRemoteAddr(exchange.getRemoteAddress().getAddress().getHostAddress())
          .setRemotePort(exchange.getRemoteAddress().getPort())
          .setHttpHeaders(headers);
      try (AS4RequestHandler handler = new AS4RequestHandler(metadata)) {
        handler.setCryptoFactory(crypto);
        handler.setPModeResolver(new AS4DefaultPModeResolver(PROFILE));
        handler.setIncomingProfileSelector(new AS4IncomingProfileSelectorConstant(PROFILE, true));
        handler.setIncomingAttachmentFactory(IAS4IncomingAttachmentFactory.DEFAULT_INSTANCE);
        handler.setIncomingSecurityConfiguration(AS4IncomingSecurityConfiguration.createDefaultInstance());
        handler.setIncomingReceiverConfiguration(new AS4IncomingReceiverConfiguration().setReceiverEndpointAddress(url));
        // Our processor instead of the ones found by ServiceLoader: it is where a Peppol receiver checks the message.
        handler.setProcessorSupplier(() -> new CommonsArrayList<IAS4IncomingMessageProcessorSPI>(new PeppolChecks(dir, verdict)));
        handler.handleRequest(new ByteArrayInputStream(body), headers, response);
      } catch (com.helger.phase4.util.Phase4Exception e) {
        // What phase4's servlet handler answers when the message cannot even be parsed as AS4.
        response.fail(400, "Bad Request: " + e.getMessage());
        verdict.refusal = describe(e);
      } catch (Exception e) {
        response.fail(500, "Internal error processing AS4 request: " + describe(e));
        verdict.refusal = describe(e);
        e.printStackTrace();
      }
    }

    /**
     * The receiving access point's checks on a user message that phase4 has already decrypted and verified: what
     * phase4-peppol-servlet (not on Maven Central in a 4.x version) would check, with the test CA. The verdict
     * and the ebMS values go to ebms.json; a refusal becomes an ebMS error in the response.
     */
    final class PeppolChecks implements IAS4IncomingMessageProcessorSPI {
      final Path dir;
      final Verdict verdict;

      PeppolChecks(Path dir, Verdict verdict) {
        this.dir = dir;
        this.verdict = verdict;
      }

      @Override
      public AS4MessageProcessorResult processAS4UserMessage(IAS4IncomingMessageMetadata metadata, HttpHeaderMap headers,
          Ebms3UserMessage message, IPMode pmode, Node soapBodyPayload, ICommonsList<WSS4JAttachment> attachments,
          IAS4IncomingMessageState state, AS4ErrorList errors) {
        verdict.messageId = message.getMessageInfo().getMessageId();
        Map<String, Object> ebms = ebmsValues(message);
        X509Certificate signer = state.getSigningCertificate();
        ebms.put("signingCertificate", signer == null ? null : signer.getSubjectX500Principal().getName());
        ebms.put("attachments", attachments == null ? 0 : attachments.size());
        String refusal;
        try {
          refusal = check(message, attachments, state, errors, ebms);
        } catch (Exception e) {
          refusal = "EBMS:0004 " + describe(e);
          errors.add(EEbmsError.EBMS_OTHER.errorBuilder(state.getLocale()).refToMessageInError(verdict.messageId)
              .errorDetail(describe(e)).build());
        }
        verdict.accepted = refusal == null;
        verdict.refusal = refusal;
        ebms.put("accepted", verdict.accepted);
        ebms.put("refusal", refusal);
        try {
          Files.write(dir.resolve("ebms.json"), json(ebms).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        return refusal == null ? AS4MessageProcessorResult.createSuccess() : AS4MessageProcessorResult.createFailure();
      }

      /** Null when the message is accepted, else the reason (also added to `errors` as an ebMS error). */
      String check(Ebms3UserMessage message, ICommonsList<WSS4JAttachment> attachments, IAS4IncomingMessageState state,
          AS4ErrorList errors, Map<String, Object> ebms) throws Exception {
        String messageId = verdict.messageId;
        Locale locale = state.getLocale();
        if (!state.isSoapDecrypted()) return refuse(errors, EEbmsError.EBMS_FAILED_DECRYPTION, locale, messageId, "the message is not encrypted");
        if (!state.isSoapSignatureChecked()) return refuse(errors, EEbmsError.EBMS_FAILED_AUTHENTICATION, locale, messageId, "the message is not signed");
        ECertificateCheckResult signer = apCAChecker.checkCertificate(state.getSigningCertificate(), null, ETriState.FALSE, ERevocationCheckMode.NONE);
        ebms.put("signingCertificateCheck", signer.getID());
        if (signer.isInvalid()) {
          return refuse(errors, EEbmsError.EBMS_FAILED_AUTHENTICATION, locale, messageId,
              "the signing certificate is not a valid access point certificate of the trusted CA: " + signer.getReason());
        }
        String to = (String) ebms.get("toPartyId");
        if (!seat.equals(to)) {
          return refuse(errors, EEbmsError.EBMS_VALUE_INCONSISTENT, locale, messageId, "the message is for " + to + ", this access point is " + seat);
        }
        if (attachments == null || attachments.size() != 1) {
          return refuse(errors, EEbmsError.EBMS_VALUE_INCONSISTENT, locale, messageId,
              "a Peppol message has exactly one attachment, this one has " + (attachments == null ? 0 : attachments.size()));
        }
        byte[] payload;
        try (InputStream in = attachments.get(0).getSourceStream()) {
          payload = in.readAllBytes(); // decrypted and, when CompressionType says so, gunzipped by phase4
        } catch (IOException | RuntimeException e) {
          return refuse(errors, EEbmsError.EBMS_DECOMPRESSION_FAILURE, locale, messageId, "the attachment cannot be read: " + describe(e));
        }
        Files.write(dir.resolve("payload.xml"), payload);
        PeppolSBDHData sbdh;
        try {
          sbdh = new PeppolSBDHDataReader(PeppolIdentifierFactory.INSTANCE).extractData(new ByteArrayInputStream(payload));
        } catch (Exception e) {
          return refuse(errors, EEbmsError.EBMS_OTHER, locale, messageId, "not a valid Peppol SBDH: " + describe(e));
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("sender", sbdh.getSenderAsIdentifier().getURIEncoded());
        header.put("receiver", sbdh.getReceiverAsIdentifier().getURIEncoded());
        header.put("documentType", sbdh.getDocumentTypeAsIdentifier().getURIEncoded());
        header.put("process", sbdh.getProcessAsIdentifier().getURIEncoded());
        header.put("countryC1", sbdh.getCountryC1());
        header.put("instanceIdentifier", sbdh.getInstanceIdentifier());
        ebms.put("sbdh", header);
        // The envelope and the ebMS header must tell the same story (Peppol AS4 profile, section on the SBDH).
        List<String> mismatches = new ArrayList<>();
        compare(mismatches, "originalSender", ebms.get("originalSender"), header.get("sender"));
        compare(mismatches, "finalRecipient", ebms.get("finalRecipient"), header.get("receiver"));
        compare(mismatches, "Action", ebms.get("action"), header.get("documentType"));
        compare(mismatches, "Service", ebms.get("serviceType") + "::" + ebms.get("service"), header.get("process"));
        if (!mismatches.isEmpty()) {
          return refuse(errors, EEbmsError.EBMS_VALUE_INCONSISTENT, locale, messageId, "the ebMS header and the SBDH differ: " + String.join("; ", mismatches));
        }
        if (serves != null && !serves.contains((String) header.get("documentType"))) {
          // What phase4-peppol-servlet answers when the receiver check finds no endpoint for the document type.
          errors.add(EEbmsError.EBMS_OTHER.errorBuilder(locale).refToMessageInError(messageId).errorDetail("PEPPOL:NOT_SERVICED").build());
          return "EBMS:0004 PEPPOL:NOT_SERVICED " + header.get("documentType");
        }
        return null;
      }

      @Override
      public AS4SignalMessageProcessorResult processAS4SignalMessage(IAS4IncomingMessageMetadata metadata, HttpHeaderMap headers,
          Ebms3SignalMessage signal, IPMode pmode, IAS4IncomingMessageState state, AS4ErrorList errors) {
        return AS4SignalMessageProcessorResult.createSuccess(); // Peppol is one-way push: nothing to do with signals
      }

      @Override
      public void processAS4ResponseMessage(IAS4IncomingMessageMetadata metadata, IAS4IncomingMessageState state,
          String responseMessageId, byte[] responseBytes, boolean responsePayloadIsAvailable, AS4ErrorList errors) {
        // The response is captured by CapturedResponse, as it goes out.
      }
    }

    static String refuse(AS4ErrorList errors, EEbmsError error, Locale locale, String messageId, String detail) {
      errors.add(error.errorBuilder(locale).refToMessageInError(messageId).errorDetail(detail).build());
      return error.getErrorCode() + " " + detail;
    }

    static void compare(List<String> mismatches, String what, Object ebms, Object sbdh) {
      if (ebms == null || sbdh == null || !ebms.toString().equalsIgnoreCase(sbdh.toString())) {
        mismatches.add(what + " " + ebms + " vs SBDH " + sbdh);
      }
    }
  }

  /** What the receiving checks decided about one request (null fields: phase4 stopped before the user message). */
  static final class Verdict {
    String messageId;
    Boolean accepted;
    String refusal;
  }

  /** phase4's response, kept whole so that it can be written to disk byte for byte before it is sent. */
  static final class CapturedResponse implements IAS4ResponseAbstraction {
    int status = 200;
    String contentType;
    Charset charset;
    final Map<String, List<String>> headers = new LinkedHashMap<>();
    byte[] body = new byte[0];

    @Override
    public void setContent(byte[] bytes, Charset charset) {
      body = bytes;
      this.charset = charset;
    }

    @Override
    public void setContent(HttpHeaderMap headerMap, com.helger.base.io.iface.IHasInputStream content) {
      // A MIME response: its headers (Content-Type with the boundary, MIME-Version) become HTTP headers.
      headerMap.forEachSingleHeader((name, value) -> {
        if (name.equalsIgnoreCase("Content-Type")) contentType = value;
        else headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      }, true);
      try (InputStream in = content.getInputStream()) {
        body = in.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public void setMimeType(IMimeType mimeType) {
      if (contentType == null) contentType = mimeType.getAsString();
    }

    @Override
    public void setStatus(int status) {
      this.status = status;
    }

    void fail(int status, String text) {
      this.status = status;
      contentType = "text/plain";
      charset = StandardCharsets.UTF_8;
      body = text.getBytes(StandardCharsets.UTF_8);
    }

    String effectiveContentType() {
      if (contentType == null) return null;
      if (charset == null || contentType.toLowerCase(Locale.ROOT).contains("charset=")) return contentType;
      return contentType + "; charset=" + charset.name();
    }

    void write(Path dir) throws IOException {
      Map<String, Object> head = new LinkedHashMap<>();
      head.put("status", status);
      Map<String, List<String>> all = new LinkedHashMap<>();
      if (effectiveContentType() != null) all.put("Content-Type", List.of(effectiveContentType()));
      all.putAll(headers);
      head.put("headers", all);
      Files.write(dir.resolve("response.json"), json(head).getBytes(StandardCharsets.UTF_8));
      Files.write(dir.resolve("response.body"), body);
    }

    void send(HttpExchange exchange) throws IOException {
      if (effectiveContentType() != null) exchange.getResponseHeaders().set("Content-Type", effectiveContentType());
      headers.forEach((name, values) -> values.forEach(v -> exchange.getResponseHeaders().add(name, v)));
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Sending

  static final class Sender {
    final Options options;

    Sender(Options options) {
      this.options = options;
    }

    int send() throws Exception {
      Identity identity = Identity.load(options.path("keystore"), options.path("password-file"), options.optional("alias"));
      List<X509Certificate> trusted = readCertificates(options.path("trust"));
      // Either the receiver's endpoint is given (--url, --receiver-cert), or phase4 looks it up in an SMP (--smp-url),
      // whose signed answers it checks against --smp-trust, as a sender on the network does after the SML lookup.
      String smpUrl = options.optional("smp-url");
      X509Certificate receiverCert = smpUrl == null ? readCertificates(options.path("receiver-cert")).get(0) : null;
      byte[] sbdhBytes = Files.readAllBytes(options.path("sbdh"));
      Path out = Files.createDirectories(options.path("out"));
      String url = smpUrl == null ? options.required("url") : null;
      AtomicReference<String> endpointUrl = new AtomicReference<>(url);
      TrustedCAChecker caChecker = new TrustedCAChecker(trusted.toArray(new X509Certificate[0]));

      Map<String, Object> outcome = new LinkedHashMap<>();
      AtomicReference<Exception> failure = new AtomicReference<>();
      AtomicReference<String> sentMessageId = new AtomicReference<>();
      AtomicReference<Ebms3SignalMessage> signal = new AtomicReference<>();
      AtomicReference<IAS4IncomingMessageState> signalState = new AtomicReference<>();
      AtomicReference<String> nonRepudiation = new AtomicReference<>("not-checked");

      EAS4UserMessageSendResult result;
      try {
        // phase4's own SBDH reader gives the identifiers (and checks the envelope); the bytes are sent unchanged.
        PeppolSBDHData sbdh = new PeppolSBDHDataReader(PeppolIdentifierFactory.INSTANCE).extractData(new ByteArrayInputStream(sbdhBytes));
        Phase4PeppolSender.PeppolUserMessageSBDHBuilder builder = Phase4PeppolSender.sbdhBuilder()
            .senderParticipantID(sbdh.getSenderAsIdentifier())
            .receiverParticipantID(sbdh.getReceiverAsIdentifier())
            .documentTypeID(sbdh.getDocumentTypeAsIdentifier())
            .processID(sbdh.getProcessAsIdentifier())
            .countryC1(sbdh.getCountryC1())
            .payload(sbdhBytes)
            .senderPartyID(options.required("sender-seat"))
            // The receiver's certificate must come from the test CA (phase4 checks it before sending).
            .peppolAP_CAChecker(caChecker)
            // Our key signs; the trust store verifies the receipt's signature.
            .cryptoFactory(new AS4CryptoFactoryInMemoryKeyStore(identity.keyStore, identity.alias, identity.password, trustStore(options, trusted)))
            // One attempt: a test wants the first answer, not phase4's retries with back-off.
            .httpRetrySettings(new HttpRetrySettings().setMaxRetries(0))
            .outgoingDumper(new RequestDump(out, endpointUrl, sentMessageId))
            .rawResponseConsumer(response -> {
              Map<String, Object> head = new LinkedHashMap<>();
              head.put("status", response.hasResponseStatusLine() ? response.getResponseStatusLine().getStatusCode() : null);
              head.put("reason", response.hasResponseStatusLine() ? response.getResponseStatusLine().getReasonPhrase() : null);
              head.put("headers", headerMap(response.getResponseHeaders()));
              writeQuietly(out.resolve("response.json"), json(head).getBytes(StandardCharsets.UTF_8));
              writeQuietly(out.resolve("response.body"), response.hasResponseContent() ? response.getResponseContent() : new byte[0]);
            })
            .signalMsgConsumer((message, metadata, state) -> {
              signal.set(message);
              signalState.set(state);
            })
            // phase4 compares the receipt's NonRepudiationInformation with the references it signed.
            .signalMsgValidationResultHdl(new IAS4SignalMessageValidationResultHandler() {
              @Override public void onSuccess() { nonRepudiation.set("valid"); }
              @Override public void onError(String error) { nonRepudiation.set("invalid: " + error); }
              @Override public void onNotApplicable() { nonRepudiation.set("not-applicable"); }
            });
        if (smpUrl == null) {
          // The receiver's endpoint as an SMP lookup would have given it; its CN becomes the To PartyId.
          builder.receiverEndpointDetails(receiverCert, url);
        } else {
          KeyStore smpTrust = KeyStore.getInstance("PKCS12");
          smpTrust.load(null, null);
          List<X509Certificate> smpCAs = readCertificates(options.path("smp-trust"));
          for (int i = 0; i < smpCAs.size(); i++) smpTrust.setCertificateEntry("smp-" + i, smpCAs.get(i));
          // peppol-commons' SMP client: GET {smp}/{participant}/services/{document type}, the XMLDSig of the answer
          // verified with a certificate that chains to the trust store; then the endpoint for the process and the
          // Peppol AS4 transport profile, whose certificate must pass peppolAP_CAChecker.
          builder.smpClient(new SMPClientReadOnly(URI.create(smpUrl)).setTrustStore(smpTrust))
              .endpointURLConsumer(endpointUrl::set);
        }
        String messageId = options.optional("message-id");
        if (messageId != null) builder.messageID(messageId);
        result = builder.sendMessageAndCheckForReceipt(failure::set);
      } catch (Exception e) {
        failure.set(e);
        result = null;
      }

      outcome.put("result", result == null ? "exception" : result.getID());
      outcome.put("endpointUrl", endpointUrl.get());
      outcome.put("messageId", sentMessageId.get());
      Ebms3SignalMessage answer = signal.get();
      Map<String, Object> receipt = null;
      List<Map<String, Object>> errors = new ArrayList<>();
      if (answer != null) {
        receipt = new LinkedHashMap<>();
        receipt.put("messageId", answer.getMessageInfo().getMessageId());
        receipt.put("refToMessageId", answer.getMessageInfo().getRefToMessageId());
        receipt.put("timestamp", String.valueOf(answer.getMessageInfo().getTimestamp()));
        receipt.put("isReceipt", answer.getReceipt() != null);
        for (Ebms3Error e : answer.getError()) {
          Map<String, Object> error = new LinkedHashMap<>();
          error.put("errorCode", e.getErrorCode());
          error.put("severity", e.getSeverity());
          error.put("shortDescription", e.getShortDescription());
          error.put("description", e.getDescription() == null ? null : e.getDescription().getValue());
          error.put("errorDetail", e.getErrorDetail());
          error.put("refToMessageInError", e.getRefToMessageInError());
          errors.add(error);
        }
      }
      // The receipt must be signed by an access point of the trusted CA (WSS4J already checked the signature
      // against the trust store; this is the Peppol AP check on top, as for the receiver's certificate).
      IAS4IncomingMessageState state = signalState.get();
      String signer = null;
      String signerCheck = null;
      if (state != null && state.isSoapSignatureChecked() && state.getSigningCertificate() != null) {
        signer = state.getSigningCertificate().getSubjectX500Principal().getName();
        signerCheck = caChecker.checkCertificate(state.getSigningCertificate(), null, ETriState.FALSE, ERevocationCheckMode.NONE).getID();
      }
      outcome.put("receipt", receipt);
      outcome.put("errors", errors);
      outcome.put("signalSignedBy", signer);
      outcome.put("signalSignerCheck", signerCheck);
      outcome.put("nonRepudiation", nonRepudiation.get());

      boolean success = result == EAS4UserMessageSendResult.SUCCESS && "valid".equals(nonRepudiation.get())
          && ECertificateCheckResult.VALID.getID().equals(signerCheck);
      String error = null;
      if (failure.get() != null) error = describe(failure.get());
      else if (!success && !errors.isEmpty()) error = errors.get(0).get("errorCode") + " " + errors.get(0).get("shortDescription") + ": " + errors.get(0).get("errorDetail");
      else if (!success) error = "result " + outcome.get("result") + ", non-repudiation " + nonRepudiation.get() + ", signal signer " + signer + " (" + signerCheck + ")";
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("success", success);
      line.put("error", error);
      line.putAll(outcome);
      String text = json(line);
      Files.write(out.resolve("outcome.json"), text.getBytes(StandardCharsets.UTF_8));
      System.out.println(text);
      System.out.flush();
      return success ? 0 : 1;
    }
  }

  /**
   * phase4's outgoing dump hook: the HTTP headers phase4 sets on the request (the MIME message's own headers,
   * Content-Type with its boundary among them) and the exact body bytes, as they stream to the receiver. The
   * HTTP client adds its transport headers (Host, Content-Length or chunking, User-Agent) after this point.
   */
  static final class RequestDump implements IAS4OutgoingDumper {
    final Path out;
    final AtomicReference<String> url;
    final AtomicReference<String> messageId;

    RequestDump(Path out, AtomicReference<String> url, AtomicReference<String> messageId) {
      this.out = out;
      this.url = url;
      this.messageId = messageId;
    }

    @Override
    public OutputStream onBeginRequest(EAS4MessageMode mode, IAS4IncomingMessageMetadata metadata, IAS4IncomingMessageState state,
        String id, HttpHeaderMap headers, int attempt) throws IOException {
      messageId.set(id);
      Map<String, Object> head = new LinkedHashMap<>();
      head.put("method", "POST");
      head.put("url", url.get());
      head.put("messageId", id);
      head.put("attempt", attempt);
      head.put("headers", headerMap(headers));
      Files.write(out.resolve("request.json"), json(head).getBytes(StandardCharsets.UTF_8));
      return Files.newOutputStream(out.resolve("request.body"));
    }

    @Override
    public void onEndRequest(EAS4MessageMode mode, IAS4IncomingMessageMetadata metadata, IAS4IncomingMessageState state,
        String id, Exception caught) {}
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Keys, certificates, options, JSON

  /** An access point's key and certificate from a PKCS#12 file (Java 17 reads the AES/PBKDF2 ones of the dev PKI). */
  static final class Identity {
    final KeyStore keyStore;
    final String alias;
    final char[] password;

    Identity(KeyStore keyStore, String alias, char[] password) {
      this.keyStore = keyStore;
      this.alias = alias;
      this.password = password;
    }

    static Identity load(Path p12, Path passwordFile, String alias) throws Exception {
      char[] password = Files.readString(passwordFile).strip().toCharArray();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(p12)) {
        ks.load(in, password);
      }
      if (alias == null) {
        // The dev PKI's keystores hold one key entry (named after the seat id, in lower case).
        for (String a : Collections.list(ks.aliases())) if (ks.isKeyEntry(a)) { alias = a; break; }
      }
      if (alias == null || !ks.isKeyEntry(alias)) throw new IllegalArgumentException(p12 + ": no key entry" + (alias == null ? "" : " named " + alias));
      return new Identity(ks, alias, password);
    }
  }

  static List<X509Certificate> readCertificates(Path pem) throws Exception {
    List<X509Certificate> certificates = new ArrayList<>();
    try (InputStream in = Files.newInputStream(pem)) {
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) certificates.add((X509Certificate) c);
    }
    if (certificates.isEmpty()) throw new IllegalArgumentException(pem + ": no certificate");
    return certificates;
  }

  /** WSS4J's trust store: the trusted CA(s) and the root(s) they chain to (see the top of this file). */
  static KeyStore trustStore(Options o, List<X509Certificate> trusted) throws Exception {
    List<X509Certificate> certificates = new ArrayList<>(trusted);
    certificates.addAll(readCertificates(o.path("trust-root")));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    for (int i = 0; i < certificates.size(); i++) ks.setCertificateEntry("trusted-" + i, certificates.get(i));
    return ks;
  }

  static Map<String, List<String>> headerMap(HttpHeaderMap headers) {
    Map<String, List<String>> map = new LinkedHashMap<>();
    if (headers != null) headers.forEachSingleHeader((name, value) -> map.computeIfAbsent(name, k -> new ArrayList<>()).add(value), true);
    return map;
  }

  static Map<String, Object> ebmsValues(Ebms3UserMessage m) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("messageId", m.getMessageInfo().getMessageId());
    v.put("timestamp", String.valueOf(m.getMessageInfo().getTimestamp()));
    v.put("fromPartyId", m.getPartyInfo().getFrom().getPartyIdAtIndex(0).getValue());
    v.put("fromPartyIdType", m.getPartyInfo().getFrom().getPartyIdAtIndex(0).getType());
    v.put("fromRole", m.getPartyInfo().getFrom().getRole());
    v.put("toPartyId", m.getPartyInfo().getTo().getPartyIdAtIndex(0).getValue());
    v.put("toPartyIdType", m.getPartyInfo().getTo().getPartyIdAtIndex(0).getType());
    v.put("toRole", m.getPartyInfo().getTo().getRole());
    v.put("agreementRef", m.getCollaborationInfo().getAgreementRefValue());
    v.put("service", m.getCollaborationInfo().getService().getValue());
    v.put("serviceType", m.getCollaborationInfo().getService().getType());
    v.put("action", m.getCollaborationInfo().getAction());
    v.put("conversationId", m.getCollaborationInfo().getConversationId());
    if (m.getMessageProperties() != null) {
      for (Ebms3Property p : m.getMessageProperties().getProperty()) {
        // originalSender / finalRecipient as scheme::value, the form of the SBDH's identifiers.
        v.put(p.getName(), p.getType() == null ? p.getValue() : p.getType() + "::" + p.getValue());
      }
    }
    return v;
  }

  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (sb.length() > 0) sb.append(" <- ");
      sb.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
    }
    return sb.toString();
  }

  static void writeQuietly(Path file, byte[] bytes) {
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** `--name value` pairs after the mode. */
  static final class Options {
    final Map<String, String> values = new LinkedHashMap<>();

    Options(String[] args) {
      for (int i = 1; i < args.length; i += 2) {
        if (!args[i].startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("expected --name value at " + args[i]);
        values.put(args[i].substring(2), args[i + 1]);
      }
    }

    String optional(String name) {
      return values.get(name);
    }

    String required(String name) {
      String v = values.get(name);
      if (v == null || v.isEmpty()) throw new IllegalArgumentException("--" + name + " is required");
      return v;
    }

    Path path(String name) {
      return Path.of(required(name));
    }
  }

  /** Minimal JSON: maps, lists, strings, numbers, booleans and null are all the peer writes. */
  static String json(Object value) {
    StringBuilder sb = new StringBuilder();
    appendJson(sb, value);
    return sb.toString();
  }

  static void appendJson(StringBuilder sb, Object value) {
    if (value == null) sb.append("null");
    else if (value instanceof Boolean || value instanceof Number) sb.append(value);
    else if (value instanceof Map<?, ?> map) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!first) sb.append(',');
        first = false;
        appendJson(sb, String.valueOf(e.getKey()));
        sb.append(':');
        appendJson(sb, e.getValue());
      }
      sb.append('}');
    } else if (value instanceof Iterable<?> list) {
      sb.append('[');
      boolean first = true;
      for (Object o : list) {
        if (!first) sb.append(',');
        first = false;
        appendJson(sb, o);
      }
      sb.append(']');
    } else {
      sb.append('"');
      for (char c : value.toString().toCharArray()) {
        if (c == '"' || c == '\\') sb.append('\\').append(c);
        else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
        else sb.append(c);
      }
      sb.append('"');
    }
  }
}
