// The JDK's own XML Signature implementation (javax.xml.crypto, Apache Santuario inside the JDK) as a second
// opinion on Facteur's signatures, compiled by the test into a temporary folder at each run.
//   java XmlDsig verify <file.xml>                       verifies the single ds:Signature with the certificate
//                                                        in its KeyInfo; prints VALID or INVALID <reason>
//   java XmlDsig sign <in.xml> <key.pk8.der> <cert.der>  signs the document as an SMP does (enveloped,
//                                                        inclusive C14N, RSA-SHA256, certificate in KeyInfo)
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.StringWriter;
import java.nio.file.Files;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Collections;
import java.util.List;
import javax.xml.crypto.AlgorithmMethod;
import javax.xml.crypto.KeySelector;
import javax.xml.crypto.KeySelectorResult;
import javax.xml.crypto.XMLCryptoContext;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.KeyInfoFactory;
import javax.xml.crypto.dsig.keyinfo.X509Data;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

public class XmlDsig {
  public static void main(String[] args) throws Exception {
    DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
    dbf.setNamespaceAware(true);
    dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document doc = dbf.newDocumentBuilder().parse(new File(args[1]));
    XMLSignatureFactory fac = XMLSignatureFactory.getInstance("DOM");
    if (args[0].equals("verify")) {
      NodeList nl = doc.getElementsByTagNameNS(XMLSignature.XMLNS, "Signature");
      if (nl.getLength() != 1) { System.out.println("INVALID signatures: " + nl.getLength()); return; }
      DOMValidateContext ctx = new DOMValidateContext(new CertificateKeySelector(), nl.item(0));
      ctx.setProperty("org.jcp.xml.dsig.secureValidation", Boolean.TRUE);
      XMLSignature signature = fac.unmarshalXMLSignature(ctx);
      boolean valid = signature.validate(ctx);
      if (valid) { System.out.println("VALID"); return; }
      StringBuilder why = new StringBuilder("INVALID");
      if (!signature.getSignatureValue().validate(ctx)) why.append(" signature-value");
      for (Object r : signature.getSignedInfo().getReferences()) {
        Reference ref = (Reference) r;
        if (!ref.validate(ctx)) why.append(" reference '").append(ref.getURI()).append("'");
      }
      System.out.println(why);
    } else {
      PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(new File(args[2]).toPath())));
      X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(Files.readAllBytes(new File(args[3]).toPath())));
      Reference ref = fac.newReference("", fac.newDigestMethod(DigestMethod.SHA256, null),
          Collections.singletonList(fac.newTransform(Transform.ENVELOPED, (TransformParameterSpec) null)), null, null);
      SignedInfo si = fac.newSignedInfo(fac.newCanonicalizationMethod(CanonicalizationMethod.INCLUSIVE, (C14NMethodParameterSpec) null),
          fac.newSignatureMethod("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", null), Collections.singletonList(ref));
      KeyInfoFactory kif = fac.getKeyInfoFactory();
      KeyInfo ki = kif.newKeyInfo(Collections.singletonList(kif.newX509Data(List.of(cert.getSubjectX500Principal().getName(), cert))));
      fac.newXMLSignature(si, ki).sign(new DOMSignContext(key, doc.getDocumentElement()));
      StringWriter out = new StringWriter();
      TransformerFactory.newInstance().newTransformer().transform(new DOMSource(doc), new StreamResult(out));
      System.out.print(out);
    }
  }

  /** The key of the X509Certificate in the signature's KeyInfo (trust is the caller's business, not this check's). */
  static class CertificateKeySelector extends KeySelector {
    public KeySelectorResult select(KeyInfo keyInfo, Purpose purpose, AlgorithmMethod method, XMLCryptoContext context) {
      for (Object item : keyInfo.getContent()) {
        if (item instanceof X509Data) {
          for (Object data : ((X509Data) item).getContent()) {
            if (data instanceof X509Certificate) { Key k = ((X509Certificate) data).getPublicKey(); return () -> k; }
          }
        }
      }
      throw new IllegalStateException("no X509Certificate in KeyInfo");
    }
  }
}
