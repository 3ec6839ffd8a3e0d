package dev.switchyard.server.http;

import dev.switchyard.server.batch.FilesApi;
import dev.switchyard.server.openai.ApiError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code POST /v1/files}: an upload (multipart/form-data with {@code file} and {@code purpose}, as
 * OpenAI's SDKs send it) read as it arrives, its file part written to disk in the file store's
 * directory rather than gathered in memory, and kept when it is whole. It sits before the body limit,
 * which the upload is not subject to: the store's space is its limit. Every other request passes on.
 * A refused upload is answered at once and the rest of its body is read and dropped, as the body
 * limit does, so the connection stays usable.
 */
final class FileUploadHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(FileUploadHandler.class.getName());

    private final ApiContext api;
    /** The upload being read; null between uploads. */
    private HttpPostRequestDecoder decoder;
    private DefaultHttpDataFactory factory;
    private HttpRequest request;
    /** Bytes of this upload's body the store holds for it while it arrives. */
    private long reserved;
    /** The rest of a refused upload's body is dropped. */
    private boolean discarding;

    FileUploadHandler(ApiContext api) {
        this.api = api;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest r) {
            if (!isUpload(r)) {
                ctx.fireChannelRead(msg);
                return;
            }
            try {
                begin(ctx, r);
            } catch (ApiError e) {
                discarding = true;
                refuse(ctx, e);
            }
            if (msg instanceof HttpContent c) {
                content(ctx, c);
            }
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpContent c && (decoder != null || discarding)) {
            try {
                content(ctx, c);
            } finally {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private static boolean isUpload(HttpRequest r) {
        if (!r.method().equals(HttpMethod.POST) || r.decoderResult().isFailure()) {
            return false;
        }
        String uri = r.uri();
        int query = uri.indexOf('?');
        return (query >= 0 ? uri.substring(0, query) : uri).equals(BatchRoutes.FILES);
    }

    private void begin(ChannelHandlerContext ctx, HttpRequest r) {
        ApiHandler.authorize(api, r);
        ApiHandler.readyModel(api);
        if (!HttpPostRequestDecoder.isMultipart(r)) {
            throw ApiError.invalid("file", "an upload is multipart/form-data with a 'file' part and a 'purpose'");
        }
        long length = HttpUtil.getContentLength(r, -1L);
        long free = api.files.store().free();
        if (length > free) {
            throw tooLarge(free);
        }
        if (HttpUtil.is100ContinueExpected(r)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        factory = new DefaultHttpDataFactory(DefaultHttpDataFactory.MINSIZE);
        factory.setBaseDir(api.files.store().incoming().toString());
        factory.setDeleteOnExit(false);
        factory.setMaxLimit(free);
        try {
            decoder = new HttpPostRequestDecoder(factory, r);
        } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
            factory.cleanAllHttpData();
            factory = null;
            throw ApiError.invalid("file", "malformed upload: " + e.getMessage());
        }
        request = r;
    }

    private ApiError tooLarge(long free) {
        return new ApiError(413, "invalid_request_error", "the upload is larger than the space left for files ("
                + free + " of " + api.files.store().space() + " bytes; delete files, or start the server with a larger "
                + "--files-space)", "file", "file_too_large");
    }

    private void content(ChannelHandlerContext ctx, HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        if (discarding) {
            discarding = !last;
            return;
        }
        int bytes = c.content().readableBytes();
        try {
            if (!api.files.store().reserve(bytes)) {
                throw tooLarge(api.files.store().free());
            }
            reserved += bytes;
            decoder.offer(c);
            if (last) {
                finish(ctx);
            }
        } catch (ApiError e) {
            end();
            discarding = !last;
            refuse(ctx, e);
        } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
            end();
            discarding = !last;
            refuse(ctx, e.getCause() instanceof IOException io && io.getMessage() != null
                    && io.getMessage().contains("Size exceed") ? tooLarge(api.files.store().free())
                    : ApiError.invalid("file", "malformed upload: " + e.getMessage()));
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "upload failed", e);
            end();
            discarding = !last;
            refuse(ctx, ApiError.internal("upload failed: " + e));
        }
    }

    private void finish(ChannelHandlerContext ctx) {
        try {
            String purpose = null;
            String anchor = null;
            String seconds = null;
            FileUpload file = null;
            for (InterfaceHttpData part : decoder.getBodyHttpDatas()) {
                if (part instanceof FileUpload f && part.getName().equals("file")) {
                    file = f;
                } else if (part instanceof Attribute a) {
                    switch (part.getName()) {
                        case "purpose" -> purpose = a.getValue();
                        case "expires_after[anchor]" -> anchor = a.getValue();
                        case "expires_after[seconds]" -> seconds = a.getValue();
                        default -> throw ApiError.unsupported(part.getName(), part.getName());
                    }
                }
            }
            if (file == null) {
                throw ApiError.invalid("file", "the upload has no 'file' part");
            }
            FileUpload upload = file;
            String p = purpose;
            Long expiresAfter = FilesApi.expiresAfter(anchor, seconds, "expires_after");
            HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> api.files.upload(
                    upload.getFilename(), p, expiresAfter, target -> {
                        if (upload.isInMemory()) {
                            Files.write(target, upload.get());
                        } else if (!upload.renameTo(target.toFile())) {
                            throw new IOException("cannot move the upload to " + target);
                        }
                    }, ApiHandler.actingKey(ctx.channel(), request), g), false);
        } catch (IOException e) {
            throw ApiError.internal("the upload could not be kept: " + e.getMessage());
        } finally {
            end();
        }
    }

    private void refuse(ChannelHandlerContext ctx, ApiError e) {
        HttpResponses.sendError(ctx, api.json.factory(), e, false);
    }

    /** Lets go of the upload's parts (and whatever of them is still on disk) and of the space held for it. */
    private void end() {
        api.files.store().release(reserved);
        reserved = 0;
        if (decoder != null) {
            try {
                decoder.destroy();
            } catch (IllegalStateException ignored) {
                // destroyed already
            }
        }
        if (factory != null) {
            factory.cleanAllHttpData();
        }
        decoder = null;
        factory = null;
        request = null;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        end();
        super.channelInactive(ctx);
    }
}
